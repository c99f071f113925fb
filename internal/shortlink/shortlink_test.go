package shortlink

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"ext4play/core/scenario"
)

func fragmentOf(t *testing.T, name string, seed uint64) string {
	t.Helper()
	sc, err := scenario.Example(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Scheduler.Seed = seed
	f, err := scenario.Encode(sc)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func post(t *testing.T, h http.Handler, body string) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/share", strings.NewReader(body)))
	var out map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("POST answer is not JSON: %q", rec.Body.String())
	}
	return rec.Code, out
}

func TestShareThenFollow(t *testing.T) {
	for _, st := range []Store{&MemStore{}, DirStore{Dir: t.TempDir()}} {
		h := Handler(st)
		frag := fragmentOf(t, "generic-300-dioread-nolock", 7)
		body, _ := json.Marshal(map[string]string{"fragment": "#s=" + frag})
		code, out := post(t, h, string(body))
		if code != http.StatusCreated {
			t.Fatalf("%T: POST = %d %v", st, code, out)
		}
		id := out["id"]
		if !ValidID(id) || len(id) != IDLen || out["path"] != "/s/"+id {
			t.Fatalf("%T: answer %v", st, out)
		}
		// The same run shared again (bare text body) gets the same id.
		if code, again := post(t, h, "s="+frag); code != http.StatusCreated || again["id"] != id {
			t.Fatalf("%T: second share = %d %v, want id %s", st, code, again, id)
		}
		// Another run gets another id.
		if _, other := post(t, h, fragmentOf(t, "generic-300-dioread-nolock", 8)); other["id"] == id {
			t.Fatalf("%T: two scenarios share id %s", st, id)
		}

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/s/"+id, nil))
		if rec.Code != http.StatusFound {
			t.Fatalf("%T: GET /s/%s = %d %s", st, id, rec.Code, rec.Body)
		}
		loc := rec.Header().Get("Location")
		if loc != "/#s="+frag {
			t.Fatalf("%T: Location %.60q…, want /#s=<fragment>", st, loc)
		}
		sc, err := scenario.Decode(strings.TrimPrefix(loc, "/#"))
		if err != nil || sc.Scheduler.Seed != 7 {
			t.Fatalf("%T: redirect target decodes to %+v, %v", st, sc, err)
		}
	}
}

func TestCollisionLengthensID(t *testing.T) {
	st := &MemStore{}
	frag := fragmentOf(t, "generic-300-dioread-nolock", 1)
	first, err := Shorten(context.Background(), st, frag)
	if err != nil {
		t.Fatal(err)
	}
	// Pretend another scenario already owns that id.
	st.Put(context.Background(), first, "someone else")
	id, err := Shorten(context.Background(), st, frag)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != IDLen+1 || !strings.HasPrefix(id, first) {
		t.Fatalf("after a collision on %s got %s, want it lengthened by one", first, id)
	}
	if got, _, _ := st.Get(context.Background(), first); got != "someone else" {
		t.Fatalf("the colliding entry was overwritten")
	}
}

func TestBadRequestsSayWhatIsWrong(t *testing.T) {
	h := Handler(&MemStore{})
	for _, c := range []struct {
		body string
		code int
		want string
	}{
		{"", 400, "empty fragment"},
		{`{"fragment": 3}`, 400, "body:"},
		{`{"fragmnt": "s=x"}`, 400, "unknown field"},
		{"s=9.abc", 400, "version"},
		{"s=1.!!!", 400, "fragment:"},
		{strings.Repeat("a", maxBody+10), 413, "over"},
	} {
		code, out := post(t, h, c.body)
		if code != c.code || !strings.Contains(out["error"], c.want) {
			t.Errorf("POST %.30q = %d %q, want %d containing %q", c.body, code, out["error"], c.code, c.want)
		}
	}
	for _, c := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/s/short", 400, "not a share id"},
		{"GET", "/s/ABCDEFGHIJK", 400, "not a share id"},
		{"GET", "/s/" + strings.Repeat("a", 200), 400, "not a share id"},
		{"GET", "/s/aaaaaaaaaa", 404, "no shared run"},
		{"DELETE", "/s/aaaaaaaaaa", 405, "not allowed"},
		{"GET", "/api/share", 405, "use POST"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s %.40s = %d %q, want %d containing %q", c.method, c.path, rec.Code, rec.Body, c.code, c.want)
		}
	}
}
