package web

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cohost-dev/cohost/internal/browser"
)

// recordInit wraps ZoomMtgEmbedded.createClient, whenever a script defines it, so that the page's
// client.init options are kept in window.__initOptions. It runs before the page's own scripts
// (DevTools' evaluate-on-new-document, which the page's policy does not govern).
const recordInit = `(() => {
  let sdk;
  Object.defineProperty(window, 'ZoomMtgEmbedded', {
    configurable: true,
    get() { return sdk; },
    set(v) {
      const create = v.createClient.bind(v);
      v.createClient = () => {
        const c = create();
        const init = c.init.bind(c);
        c.init = (opts) => { window.__initOptions = JSON.parse(JSON.stringify({ ...opts, zoomAppRoot: !!opts.zoomAppRoot })); return init(opts); };
        return c;
      };
      sdk = v;
    },
  });
})();`

// The host page initialises the SDK with the options chosen for it (meeting.js; docs/host-client.md,
// "The SDK's options"): the pinned media module, leave at once on unload, Zoom's view fitted into
// the meeting area in gallery view, and the gallery's size and virtual background left to the SDK.
func TestHostPageInitOptions(t *testing.T) {
	e := newHostEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(e.b.Ctx, waitBound)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordInit}); err != nil {
		t.Fatal(err)
	}
	e.open(t)
	e.waitJoined(t)
	opts := browser.Eval[initOptions](t, e.b, `window.__initOptions`)
	v := opts.Customize.Video
	switch {
	case !opts.ZoomAppRoot || opts.Language != "en-US":
		t.Errorf("root %v, language %q", opts.ZoomAppRoot, opts.Language)
	case opts.PatchJsMedia == nil || *opts.PatchJsMedia:
		t.Errorf("patchJsMedia %v, want false", opts.PatchJsMedia)
	case opts.LeaveOnPageUnload == nil || !*opts.LeaveOnPageUnload:
		t.Errorf("leaveOnPageUnload %v, want true", opts.LeaveOnPageUnload)
	case opts.EnforceVirtualBackground != nil || opts.MaxGallery != nil:
		t.Errorf("set what is left to the SDK: %+v", opts)
	case v.DefaultViewType == nil || *v.DefaultViewType != "gallery":
		t.Errorf("defaultViewType %v, want gallery", v.DefaultViewType)
	case v.IsResizable == nil || *v.IsResizable || v.Popper.DisableDraggable == nil || !*v.Popper.DisableDraggable:
		t.Errorf("video %+v: want not resizable, not draggable", v)
	case v.ViewSizes["default"].Width < 320 || v.ViewSizes["default"].Height < 180:
		t.Errorf("view size %+v", v.ViewSizes)
	}
}

// initOptions is what the host page passes to client.init, as recordInit keeps it.
type initOptions struct {
	ZoomAppRoot              bool   `json:"zoomAppRoot"`
	Language                 string `json:"language"`
	PatchJsMedia             *bool  `json:"patchJsMedia"`
	LeaveOnPageUnload        *bool  `json:"leaveOnPageUnload"`
	EnforceVirtualBackground *bool  `json:"enforceVirtualBackground"`
	MaxGallery               *int   `json:"maximumVideosInGalleryView"`
	Customize                struct {
		Video struct {
			IsResizable *bool `json:"isResizable"`
			Popper      struct {
				DisableDraggable *bool `json:"disableDraggable"`
			} `json:"popper"`
			ViewSizes       map[string]struct{ Width, Height int } `json:"viewSizes"`
			DefaultViewType *string                                `json:"defaultViewType"`
		} `json:"video"`
	} `json:"customize"`
}
