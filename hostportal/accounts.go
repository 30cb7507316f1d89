package hostportal

import (
	"context"
	"errors"

	"github.com/cohost-dev/cohost/zoomclient"
)

// OneAccount is the account of an s2s install (ZOOM_ACCOUNT_ID): cohost
// serves it and no other.
type OneAccount string

// Serves reports whether accountID is the one account.
func (a OneAccount) Serves(_ context.Context, accountID string) (bool, error) {
	return accountID != "" && accountID == string(a), nil
}

// TokenLoader reads an account's stored tokens (store.Store).
type TokenLoader interface {
	LoadToken(ctx context.Context, accountID string) (*zoomclient.TokenRecord, error)
}

// InstalledAccounts are the accounts that installed cohost's app (oauth
// mode): those whose tokens are stored. An account that removed the app
// (app_deauthorized) has none.
type InstalledAccounts struct{ Tokens TokenLoader }

// Serves reports whether accountID has installed the app.
func (a InstalledAccounts) Serves(ctx context.Context, accountID string) (bool, error) {
	if accountID == "" {
		return false, nil
	}
	rec, err := a.Tokens.LoadToken(ctx, accountID)
	switch {
	case errors.Is(err, zoomclient.ErrTokenNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return rec != nil, nil
}
