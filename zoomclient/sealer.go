package zoomclient

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts tokens with AES-256-GCM before they reach a TokenStore, so
// the store (and its backups) only ever hold ciphertext. Each ciphertext is
// bound to its account and field (additional data), so a sealed refresh token
// copied to another row or column does not open.
//
// Format: 1 version byte (1) | 12-byte random nonce | GCM ciphertext and tag.
type Sealer struct {
	aead cipher.AEAD
}

const (
	sealVersion = 1
	// SealerKeySize is the key length NewSealer needs (AES-256).
	SealerKeySize = 32
)

// ErrUnseal: a sealed value did not open (wrong key, wrong account or field, or corrupted).
var ErrUnseal = errors.New("zoomclient: sealed token does not open with this key")

// NewSealer returns a Sealer with a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != SealerKeySize {
		return nil, fmt.Errorf("zoomclient: encryption key is %d bytes, want %d", len(key), SealerKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("zoomclient: encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("zoomclient: encryption key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// NewSealerFromBase64 reads a key in the form of COHOST_ENCRYPTION_KEY: 32
// bytes in standard or URL-safe base64, padded or not (e.g. `openssl rand -base64 32`).
func NewSealerFromBase64(s string) (*Sealer, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			return NewSealer(key)
		}
	}
	return nil, errors.New("zoomclient: encryption key is not base64")
}

// sealerFromSecretSalt separates the key SealerFromClientSecret derives from
// every other use of the client secret (HKDF's salt).
const sealerFromSecretSalt = "cohost/zoomclient/token-sealing/v1"

// SealerFromClientSecret returns a Sealer whose key is derived with
// HKDF-SHA256 from a Server-to-Server OAuth app's client secret (and its
// client id), for s2s mode without COHOST_ENCRYPTION_KEY.
//
// It keeps the access tokens s2s mode stores (shared by every replica)
// unreadable from the database alone, with no secret more to configure: the
// key is held where the client secret is, outside the database, and whoever
// holds the client secret and the account id can mint an s2s token anyway, so
// the derived key protects nothing that secret does not. It is not for oauth
// mode: there a stored refresh token plus the client secret is a standing
// credential for every installed account, so oauth mode needs a key of its
// own (COHOST_ENCRYPTION_KEY). A rotated client secret gives another key:
// the stored access token no longer opens and a new one is fetched.
func SealerFromClientSecret(clientID, clientSecret string) (*Sealer, error) {
	if clientSecret == "" {
		return nil, errors.New("zoomclient: no client secret to derive the token sealing key from")
	}
	key, err := hkdf.Key(sha256.New, []byte(clientSecret), []byte(sealerFromSecretSalt), "client "+clientID, SealerKeySize)
	if err != nil {
		return nil, fmt.Errorf("zoomclient: deriving the token sealing key: %w", err)
	}
	return NewSealer(key)
}

func sealAD(accountID, field string) []byte {
	return []byte("cohost/zoomclient/v1\x00" + field + "\x00" + accountID)
}

// Seal encrypts plaintext for field ("access_token", "refresh_token") of accountID.
func (s *Sealer) Seal(plaintext []byte, accountID, field string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("zoomclient: crypto/rand failed: " + err.Error())
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+s.aead.Overhead())
	out = append(out, sealVersion)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plaintext, sealAD(accountID, field))
}

// Open decrypts what Seal produced for the same account and field.
func (s *Sealer) Open(sealed []byte, accountID, field string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], sealAD(accountID, field))
	if err != nil {
		return nil, ErrUnseal
	}
	return pt, nil
}

// String keeps keys out of logs.
func (s *Sealer) String() string { return "zoomclient.Sealer(AES-256-GCM)" }
