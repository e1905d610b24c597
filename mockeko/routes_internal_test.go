package mockeko

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// routerMatch is what the shared router finds for method and path.
func routerMatch(method, path string) (routeID, bool) {
	var m mux.RouteMatch
	r := &http.Request{Method: method, URL: &url.URL{Path: path}}
	if sharedRoutes().router.Match(r, &m) && m.MatchErr == nil {
		return m.Handler.(routeID), true
	}
	return 0, false
}

// Every route with a fixed path is found without the router, and the
// lookup never disagrees with the router.
func TestStaticRouteLookup(t *testing.T) {
	tbl := sharedRoutes()
	fixed := 0
	for i, rt := range tbl.routes {
		if strings.Contains(rt.Path, "{") {
			continue
		}
		fixed++
		id, ok := tbl.lookup(&http.Request{Method: rt.Method, URL: &url.URL{Path: rt.Path}})
		if !ok || id != routeID(i) {
			t.Errorf("lookup(%s %s) = %d, %v; want route %d (%s)", rt.Method, rt.Path, id, ok, i, rt.Name)
		}
	}
	if fixed == 0 {
		t.Fatal("no route with a fixed path")
	}
	for _, rt := range tbl.routes {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut, "get"} {
			for _, path := range []string{rt.Path, rt.Path + "/", strings.ToUpper(rt.Path), rt.Path + "x"} {
				checkLookup(t, method, path)
			}
		}
	}
}

func checkLookup(t *testing.T, method, path string) {
	t.Helper()
	id, ok := sharedRoutes().lookup(&http.Request{Method: method, URL: &url.URL{Path: path}})
	if !ok {
		return
	}
	if want, wok := routerMatch(method, path); !wok || want != id {
		t.Errorf("lookup(%s %q) = route %d, router: %d, %v", method, path, id, want, wok)
	}
}

// FuzzStaticRouteLookup: whatever the fixed-path lookup finds, the router
// finds too.
func FuzzStaticRouteLookup(f *testing.F) {
	for _, rt := range sharedRoutes().routes {
		f.Add(rt.Method, rt.Path)
	}
	f.Add("POST", "/oauth/token/")
	f.Fuzz(func(t *testing.T, method, path string) {
		checkLookup(t, method, path)
	})
}
