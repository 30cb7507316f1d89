package web

// Cross-origin isolation of the host page and the host portal: with both headers on a document,
// the browser gives it SharedArrayBuffer (crossOriginIsolated is true), which Zoom's Web SDKs need
// for gallery view, sending 720p video and virtual backgrounds
// (https://developers.zoom.us/docs/meeting-sdk/web/sharedarraybuffer/); without it the SDK runs,
// with self and speaker view only.
const (
	// CrossOriginOpenerPolicy puts the page in a browsing context group of its own: no window of
	// another origin keeps a handle on it, or it on them.
	CrossOriginOpenerPolicy = "same-origin"
	// CrossOriginEmbedderPolicy is credentialless rather than require-corp. Under require-corp
	// every cross-origin subresource must answer with Cross-Origin-Resource-Policy (or be
	// fetched with CORS), and the host page's are not cohost's to set: the SDK's scripts come
	// from COHOST_MEETING_SDK_URL (Zoom's CDN by default, or any copy an operator serves), its
	// lib/av WebAssembly and worker files from COHOST_MEETING_SDK_ASSET_PATH, and its images from
	// *.zoom.us. A file served without that header is refused, and the SDK with it
	// (TestRealSDKCrossOriginIsolated shows both). credentialless loads such no-cors requests
	// without cookies instead, which the SDK's public files do not need; its requests to Zoom's
	// servers are CORS requests, which neither value changes. Zoom documents both values for
	// SharedArrayBuffer. Where a browser does not know credentialless (Safari), the page is not
	// isolated and the SDK runs as before, without SharedArrayBuffer; under require-corp it would
	// not run at all there if a file lacked the header.
	//
	// Either way an isolated page changes one thing for the SDK's host: on it, the SDK loads its
	// lib/av scripts with crossOrigin="anonymous", so their host must answer with
	// Access-Control-Allow-Origin, or the join fails with "dependent assets are not accessible"
	// (5001). A self-hosted copy (COHOST_MEETING_SDK_ASSET_PATH) must send it.
	CrossOriginEmbedderPolicy = "credentialless"
)
