package harness_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/webhook"
)

func webhookRequest(t *testing.T, url, body, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header = webhook.SignedHeaders([]byte(body), secret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
