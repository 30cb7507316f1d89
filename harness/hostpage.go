package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/internal/browser"
)

// HostLink mints a host link for the simulator's meeting, as
// `cohostd host-link` would.
func (h *Harness) HostLink(ctx context.Context, meetingID int64) (string, error) {
	if h.Cohost.Hosts == nil {
		return "", errors.New("harness: the host-client granter is off; start the harness with it in Granters")
	}
	l, err := h.Cohost.Hosts.MintLink(ctx, hostclient.MintRequest{MeetingID: strconv.FormatInt(meetingID, 10)})
	if err != nil {
		return "", err
	}
	return l.URL, nil
}

// HostBrowser is headless Chromium running a host page, as the meeting's
// host would: the demo's way to show the host-client route. Tests use
// internal/browser instead, which also records the console.
type HostBrowser struct {
	Ctx    context.Context
	cancel func()
	dir    string
}

// OpenHostPage starts headless Chromium (the flags of internal/browser) and
// opens link in it. It fails with browser.ErrNoChromium when Chromium is not
// installed.
func OpenHostPage(ctx context.Context, link string) (*HostBrowser, error) {
	path, err := browser.FindChromium()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cohost-host-page")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(dir)}
	for _, f := range browser.Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	tctx, cancelTab := chromedp.NewContext(actx)
	b := &HostBrowser{Ctx: tctx, dir: dir, cancel: func() { cancelTab(); cancelAlloc() }}
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(browser.Width, browser.Height), chromedp.Navigate(link)); err != nil {
		b.Close()
		return nil, fmt.Errorf("harness: open the host page in %s: %w", path, err)
	}
	return b, nil
}

// Screenshot saves the page as a PNG.
func (b *HostBrowser) Screenshot(path string) error {
	png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// Close stops Chromium.
func (b *HostBrowser) Close() {
	b.cancel()
	_ = os.RemoveAll(b.dir)
}
