package zoomclient

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, SealerKeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	pt := []byte("rt-SECRET-refresh")
	sealed := s.Seal(pt, "acct-1", fieldRefreshToken)
	if bytes.Contains(sealed, pt) {
		t.Fatal("ciphertext contains the plaintext")
	}
	if again := s.Seal(pt, "acct-1", fieldRefreshToken); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: nonce reuse")
	}
	got, err := s.Open(sealed, "acct-1", fieldRefreshToken)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	other, _ := NewSealer(bytes.Repeat([]byte{0x43}, SealerKeySize))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"other account": func() ([]byte, error) { return s.Open(sealed, "acct-2", fieldRefreshToken) },
		"other field":   func() ([]byte, error) { return s.Open(sealed, "acct-1", fieldAccessToken) },
		"other key":     func() ([]byte, error) { return other.Open(sealed, "acct-1", fieldRefreshToken) },
		"tampered":      func() ([]byte, error) { return s.Open(tampered, "acct-1", fieldRefreshToken) },
		"truncated":     func() ([]byte, error) { return s.Open(sealed[:10], "acct-1", fieldRefreshToken) },
		"plaintext":     func() ([]byte, error) { return s.Open(pt, "acct-1", fieldRefreshToken) },
		"empty":         func() ([]byte, error) { return s.Open(nil, "acct-1", fieldRefreshToken) },
	} {
		if _, err := open(); !errors.Is(err, ErrUnseal) {
			t.Errorf("%s: Open err = %v, want ErrUnseal", name, err)
		}
	}
}

func TestNewSealerFromBase64(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, SealerKeySize)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if _, err := NewSealerFromBase64(" " + enc.EncodeToString(key) + "\n"); err != nil {
			t.Errorf("NewSealerFromBase64: %v", err)
		}
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		if _, err := NewSealerFromBase64(bad); err == nil {
			t.Errorf("NewSealerFromBase64(%q) succeeded", bad)
		}
	}
	if s, _ := NewSealer(key); s.String() != "zoomclient.Sealer(AES-256-GCM)" {
		t.Error("Sealer.String leaks or changed")
	}
}
