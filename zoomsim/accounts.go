package zoomsim

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// User types of Zoom's user object.
const (
	UserBasic    = 1
	UserLicensed = 2
)

// Account is a Zoom account in the simulator.
type Account struct {
	ID string `json:"id"`
	// ClientID and ClientSecret are the app credentials this account accepts on /oauth/token.
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// OwnerID is the first user created in the account (what /v2/users/me means for S2S tokens).
	OwnerID string `json:"owner_id,omitempty"`
	// Locked are the settings the account admin has locked, by "section.key".
	Locked map[string]any `json:"locked,omitempty"`
}

// AccountSpec describes an account to create; every field is optional.
type AccountSpec struct {
	ID           string `json:"id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// User is a Zoom user.
type User struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Type      int       `json:"type"`
	Status    string    `json:"status"`
	PMI       int64     `json:"pmi"`
	CreatedAt time.Time `json:"created_at"`
}

// DisplayName is "First Last".
func (u User) DisplayName() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// UserSpec describes a user to create. Email is required; Type defaults to UserLicensed.
type UserSpec struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Type      int    `json:"type"`
}

type account struct {
	Account
	tokensRevoked bool // app_deauthorized: OAuth grants gone until a new install
}

type user struct {
	User
	settings map[string]map[string]any
}

// Settings is a user's settings: section ("in_meeting", "recording", "schedule_meeting", …) to key
// to value (JSON types: bool, string, float64).
type Settings map[string]map[string]any

// CreateAccount adds an account.
func (s *Sim) CreateAccount(spec AccountSpec) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := spec.ID
	if id == "" {
		id = s.zoomID()
	}
	if _, ok := s.accounts[id]; ok {
		return Account{}, fmt.Errorf("%w: account %s exists", ErrInvalid, id)
	}
	if (spec.ClientID == "") != (spec.ClientSecret == "") {
		return Account{}, fmt.Errorf("%w: client_id and client_secret go together", ErrInvalid)
	}
	a := &account{Account: Account{ID: id, ClientID: spec.ClientID, ClientSecret: spec.ClientSecret, Locked: map[string]any{}}}
	if a.ClientID == "" {
		a.ClientID, a.ClientSecret = s.cfg.ClientID, s.cfg.ClientSecret
	}
	s.accounts[id] = a
	s.accountOrder = append(s.accountOrder, id)
	s.notify()
	return a.copy(), nil
}

func (a *account) copy() Account {
	c := a.Account
	c.Locked = maps.Clone(a.Locked)
	return c
}

// Account returns an account.
func (s *Sim) Account(id string) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, fmt.Errorf("%w: account %s", ErrNotFound, id)
	}
	return a.copy(), nil
}

// Accounts returns the accounts in creation order.
func (s *Sim) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Account, 0, len(s.accountOrder))
	for _, id := range s.accountOrder {
		out = append(out, s.accounts[id].copy())
	}
	return out
}

// CreateUser adds a user to an account. The first user of an account is its owner.
func (s *Sim) CreateUser(accountID string, spec UserSpec) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountID]
	if !ok {
		return User{}, fmt.Errorf("%w: account %s", ErrNotFound, accountID)
	}
	email := strings.ToLower(strings.TrimSpace(spec.Email))
	if email == "" || !strings.Contains(email, "@") {
		return User{}, fmt.Errorf("%w: user email %q", ErrInvalid, spec.Email)
	}
	if s.userByEmail(email) != nil {
		return User{}, fmt.Errorf("%w: user %s exists", ErrInvalid, email)
	}
	typ := spec.Type
	if typ == 0 {
		typ = UserLicensed
	}
	if typ != UserBasic && typ != UserLicensed {
		return User{}, fmt.Errorf("%w: user type %d (1 basic, 2 licensed)", ErrInvalid, typ)
	}
	id := spec.ID
	if id == "" {
		id = s.zoomID()
	}
	if _, ok := s.users[id]; ok {
		return User{}, fmt.Errorf("%w: user %s exists", ErrInvalid, id)
	}
	u := &user{
		User: User{
			ID: id, AccountID: accountID, Email: email, FirstName: spec.FirstName, LastName: spec.LastName,
			Type: typ, Status: "active", PMI: 1000000000 + int64(s.rng.IntN(8999999999)), CreatedAt: s.clock.Now().UTC(),
		},
		settings: defaultUserSettings(),
	}
	s.users[id] = u
	if a.OwnerID == "" {
		a.OwnerID = id
	}
	s.notify()
	return u.User, nil
}

// User returns a user by id or email.
func (s *Sim) User(idOrEmail string) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(idOrEmail)
	if u == nil {
		return User{}, fmt.Errorf("%w: user %s", ErrNotFound, idOrEmail)
	}
	return u.User, nil
}

// Users returns an account's users sorted by email.
func (s *Sim) Users(accountID string) []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	for _, u := range s.users {
		if u.AccountID == accountID {
			out = append(out, u.User)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out
}

// SetUserType makes a user basic (1) or licensed (2).
func (s *Sim) SetUserType(userID string, typ int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return fmt.Errorf("%w: user %s", ErrNotFound, userID)
	}
	if typ != UserBasic && typ != UserLicensed {
		return fmt.Errorf("%w: user type %d", ErrInvalid, typ)
	}
	u.Type = typ
	s.notify()
	return nil
}

// UserSettings returns a user's effective settings (locked values win).
func (s *Sim) UserSettings(userID string) (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return nil, fmt.Errorf("%w: user %s", ErrNotFound, userID)
	}
	return s.effectiveSettings(u), nil
}

// LockSetting locks "section.key" (for example "in_meeting.annotation") at value for every user
// of the account, as an account admin does in the web portal.
func (s *Sim) LockSetting(accountID, path string, value any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountID]
	if !ok {
		return fmt.Errorf("%w: account %s", ErrNotFound, accountID)
	}
	sec, key, ok := strings.Cut(path, ".")
	if !ok || sec == "" || key == "" {
		return fmt.Errorf("%w: setting path %q, want section.key", ErrInvalid, path)
	}
	if v, ok := value.(int); ok {
		value = float64(v)
	}
	a.Locked[path] = value
	s.notify()
	return nil
}

// UnlockSetting removes a lock.
func (s *Sim) UnlockSetting(accountID, path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountID]
	if !ok {
		return fmt.Errorf("%w: account %s", ErrNotFound, accountID)
	}
	delete(a.Locked, path)
	s.notify()
	return nil
}

// AddDefaultAccount creates an account with the sim's app credentials and one licensed host user,
// host@example.com; accountID "" picks an id. It is what cmd/zoomsim seeds.
func (s *Sim) AddDefaultAccount(accountID string) (Account, User, error) {
	a, err := s.CreateAccount(AccountSpec{ID: accountID})
	if err != nil {
		return Account{}, User{}, err
	}
	u, err := s.CreateUser(a.ID, UserSpec{Email: "host@example.com", FirstName: "Hana", LastName: "Host", Type: UserLicensed})
	if err != nil {
		return Account{}, User{}, err
	}
	a, err = s.Account(a.ID)
	return a, u, err
}

// userByEmail; callers hold s.mu.
func (s *Sim) userByEmail(email string) *user {
	email = strings.ToLower(email)
	for _, u := range s.users {
		if u.Email == email {
			return u
		}
	}
	return nil
}

// lookupUser by id or email; callers hold s.mu.
func (s *Sim) lookupUser(idOrEmail string) *user {
	if u, ok := s.users[idOrEmail]; ok {
		return u
	}
	if strings.Contains(idOrEmail, "@") {
		return s.userByEmail(idOrEmail)
	}
	return nil
}

// effectiveSettings; callers hold s.mu.
func (s *Sim) effectiveSettings(u *user) Settings {
	out := Settings{}
	for sec, kv := range u.settings {
		out[sec] = maps.Clone(kv)
	}
	if a := s.accounts[u.AccountID]; a != nil {
		for path, v := range a.Locked {
			sec, key, _ := strings.Cut(path, ".")
			if out[sec] == nil {
				out[sec] = map[string]any{}
			}
			out[sec][key] = v
		}
	}
	return out
}

// defaultUserSettings are a new user's settings, as a Pro account's defaults would be for the keys
// cohost touches (in_meeting.*, recording.local_recording, schedule_meeting.*). Values have JSON
// types (numbers are float64) so that PATCH bodies compare with them.
func defaultUserSettings() map[string]map[string]any {
	return map[string]map[string]any{
		"schedule_meeting": {
			"host_video":                      false,
			"participants_video":              false,
			"join_before_host":                false,
			"jbh_time":                        float64(0),
			"mute_upon_entry":                 false,
			"use_pmi_for_scheduled_meetings":  false,
			"use_pmi_for_instant_meetings":    false,
			"require_password_for_scheduling": true,
			"continuous_meeting_chat":         false,
		},
		"in_meeting": {
			"chat":                         true,
			"private_chat":                 true,
			"allow_participants_chat_with": float64(1),
			"allow_users_save_chats":       float64(2),
			"annotation":                   true,
			"whiteboard":                   true,
			"remote_control":               true,
			"non_verbal_feedback":          false,
			"breakout_room":                false,
			"co_host":                      true,
			"polling":                      true,
			"screen_sharing":               true,
			"who_can_share_screen":         "host",
			"who_can_share_screen_when_someone_is_sharing": "host",
			"participants_share_simultaneously":            "one",
			"waiting_room":                                 false,
			"request_permission_to_unmute_participants":    false,
			"allow_participants_to_rename":                 true,
			"file_transfer":                                false,
			"feedback":                                     false,
		},
		"recording": {
			"local_recording":     true,
			"cloud_recording":     false,
			"auto_recording":      "none",
			"record_speaker_view": true,
		},
	}
}

// settingEnums are the enumerated values Zoom documents for settings cohost changes.
var settingEnums = map[string][]string{
	"in_meeting.who_can_share_screen":                         {"host", "all"},
	"in_meeting.who_can_share_screen_when_someone_is_sharing": {"host", "all"},
	"in_meeting.participants_share_simultaneously":            {"multiple", "one"},
	"recording.auto_recording":                                {"local", "cloud", "none"},
}
