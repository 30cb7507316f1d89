package zoomsim

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// The people's page of the simulator (/_sim/ui): what a person trying cohost does in a meeting
// that only exists here. It lists the running meetings with their participants, and lets them add
// a joiner (a guest, a phone-only caller, or someone who waits in the waiting room), admit one
// from the waiting room, make one co-host by hand as the host would in Zoom's own panel, or make
// one leave. It is plain HTML forms, no script; each form posts and comes back here.
//
//	GET  /_sim/ui                                        the page
//	POST /_sim/ui/meetings/{meetingId}/join              name, kind (guest|phone|waiting)
//	POST /_sim/ui/meetings/{meetingId}/{key}/{action}    admit | cohost | leave

// UIPath is the people's page.
const UIPath = "/_sim/ui"

var uiPage = template.Must(template.New("ui").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Zoom simulator · people</title>
<style>
body { margin: 0; font: 16px/1.45 system-ui, sans-serif; color: #1f2328; background: #f2f4f7; }
main { max-width: 980px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 22px; }
.lead { margin: 0 0 20px; color: #57606a; }
.meeting { margin: 0 0 20px; padding: 16px 20px; border: 1px solid #d8dee4; border-radius: 12px; background: #fff; }
h2 { margin: 0 0 2px; font-size: 18px; }
.meta { margin: 0 0 12px; color: #57606a; }
form.join { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 0 0 14px; }
label { display: flex; flex-direction: column; font-size: 14px; color: #57606a; gap: 2px; }
input, select { font: inherit; padding: 5px 8px; border: 1px solid #d0d7de; border-radius: 6px; }
button { font: inherit; padding: 5px 12px; border: 1px solid #d0d7de; border-radius: 6px; background: #f6f8fa; cursor: pointer; }
button.primary { background: #0969da; border-color: #0969da; color: #fff; }
:focus-visible { outline: 3px solid #0969da; outline-offset: 1px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-top: 1px solid #eceff2; vertical-align: middle; }
th { font-size: 14px; color: #57606a; font-weight: 600; }
td form { display: inline; }
.none { color: #57606a; }
</style>
</head>
<body>
<main>
<h1>Zoom simulator · people</h1>
<p class="lead">Add joiners to a running meeting, admit them from the waiting room, or make one co-host by hand as the host would in Zoom's own participant panel. cohost sees each as it would see Zoom.</p>
{{range $m := .}}
<section class="meeting" aria-labelledby="m-{{.ID}}">
<h2 id="m-{{.ID}}">{{.Topic}}</h2>
<p class="meta">Meeting {{.ID}} · {{.Present}} in the meeting{{if .Held}} · {{.Held}} in the waiting room{{end}}</p>
<form class="join" method="post" action="/_sim/ui/meetings/{{.ID}}/join">
<label>Name <input name="name" autocomplete="off" placeholder="Guest"></label>
<label>Joins as <select name="kind"><option value="guest">a guest</option><option value="waiting">a guest, held in the waiting room</option><option value="phone">a phone-only caller</option></select></label>
<button class="primary" type="submit">Add a joiner</button>
</form>
{{if .People}}<table>
<thead><tr><th scope="col">Participant</th><th scope="col">Role</th><th scope="col">Actions</th></tr></thead>
<tbody>
{{range .People}}<tr>
<td>{{.Name}}</td>
<td>{{if .OnHold}}in the waiting room{{else}}{{.Role}}{{end}}</td>
<td>{{if .OnHold}}<form method="post" action="/_sim/ui/meetings/{{$m.ID}}/{{.Key}}/admit"><button type="submit">Admit</button></form>
{{else if eq .Role "attendee"}}<form method="post" action="/_sim/ui/meetings/{{$m.ID}}/{{.Key}}/cohost"><button type="submit">Make co-host by hand</button></form>
{{end}}{{if ne .Role "host"}}<form method="post" action="/_sim/ui/meetings/{{$m.ID}}/{{.Key}}/leave"><button type="submit">Leave</button></form>{{end}}</td>
</tr>
{{end}}</tbody></table>{{else}}<p class="none">Nobody is in the meeting yet.</p>{{end}}
</section>
{{else}}
<p class="none">No meeting is running. Start one (the demo does), then come back.</p>
{{end}}
</main>
</body>
</html>
`))

type uiMeeting struct {
	ID            int64
	Topic         string
	Present, Held int
	People        []Participant
}

// uiRoutes serves the people's page; the control router mounts it under /_sim/ui. A change must
// come from this page itself (net/http's CrossOriginProtection), not from another site.
func (s *Sim) uiRoutes(r chi.Router) {
	cop := http.NewCrossOriginProtection()
	r.Get("/", s.uiShow)
	r.With(func(next http.Handler) http.Handler { return cop.Handler(next) }).Group(func(r chi.Router) {
		r.Post("/meetings/{meetingId}/join", s.uiJoin)
		r.Post("/meetings/{meetingId}/{key}/{action}", s.uiAct)
	})
}

func (s *Sim) uiShow(w http.ResponseWriter, _ *http.Request) {
	var out []uiMeeting
	for _, m := range s.Meetings() {
		if m.Status != MeetingStarted {
			continue
		}
		um := uiMeeting{ID: m.ID, Topic: m.Topic}
		ps, _ := s.Participants(m.ID)
		for _, p := range ps {
			switch {
			case !p.Present:
				continue
			case p.OnHold:
				um.Held++
			default:
				um.Present++
			}
			um.People = append(um.People, p)
		}
		out = append(out, um)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	_ = uiPage.Execute(w, out)
}

func (s *Sim) uiJoin(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "meetingId"), 10, 64)
	if err != nil {
		http.Error(w, "no such meeting", http.StatusNotFound)
		return
	}
	spec := JoinSpec{Name: strings.TrimSpace(r.PostFormValue("name"))}
	if len(spec.Name) > 64 {
		spec.Name = spec.Name[:64]
	}
	switch r.PostFormValue("kind") {
	case "phone":
		spec.PhoneNumber = "+1 555 01" + strconv.Itoa(10+int(id%90))
	case "waiting":
		spec.WaitingRoom = true
	}
	if _, err := s.Join(id, spec); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, UIPath, http.StatusSeeOther)
}

func (s *Sim) uiAct(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "meetingId"), 10, 64)
	if err != nil {
		http.Error(w, "no such meeting", http.StatusNotFound)
		return
	}
	key := chi.URLParam(r, "key")
	switch chi.URLParam(r, "action") {
	case "admit":
		_, err = s.Admit(id, key)
	case "cohost":
		_, err = s.AssignCoHost(id, key)
	case "leave":
		err = s.Leave(id, key)
	default:
		http.Error(w, "no such action", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, UIPath, http.StatusSeeOther)
}
