package mockeko

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gorilla/mux"
)

// Route is one route a Server serves.
type Route struct {
	Name    string // the route's name, which is its OpenAPI operationId
	Method  string
	Path    string // gorilla/mux template, the same as the OpenAPI path key
	Control bool   // part of the /_mockeko control plane, not of the Eko API
}

// routeHandler is a route's handler. It is shared by every Server and
// given the Server it serves, so that a Server's handler table is one
// small allocation rather than a closure per route (Server.routeHandlers).
type routeHandler func(s *Server, w http.ResponseWriter, r *http.Request)

// addRoute registers one route: its method, gorilla/mux path template,
// name (the OpenAPI operationId) and handler.
type addRoute func(method, path, name string, h routeHandler)

// under returns an addRoute that prefixes every path with prefix.
func (add addRoute) under(prefix string) addRoute {
	return func(method, path, name string, h routeHandler) { add(method, prefix+path, name, h) }
}

// routes lists every route, one per line: the whole surface in one place.
// It is called once per process, to build the routeTable (sharedRoutes).
func routes(add addRoute) {
	// OAuth2.
	add(http.MethodPost, "/oauth/token", "getToken", (*Server).handleToken)

	// BotV1: replies (reply token), pushes, notify, chat management.
	add(http.MethodPost, "/bot/v1/message/text", "replyText", api((*Server).replyText))
	add(http.MethodPost, "/bot/v1/message/picture", "replyPicture", api((*Server).replyPicture))
	add(http.MethodPost, "/bot/v1/message/quickreply", "replyQuickReply", api((*Server).replyQuickReply))
	add(http.MethodPost, "/bot/v1/direct/message", "pushDirectMessage", api((*Server).pushDirectMessage))
	add(http.MethodPost, "/bot/v1/direct/picture", "pushDirectPicture", api(pushDirectUpload("picture")))
	add(http.MethodPost, "/bot/v1/direct/file", "pushDirectFile", api(pushDirectUpload("file")))
	add(http.MethodPost, "/bot/v1/group/message", "pushGroupMessage", api((*Server).pushGroupMessage))
	add(http.MethodPost, "/bot/v1/group/picture", "pushGroupPicture", api(pushGroupUpload("picture")))
	add(http.MethodPost, "/bot/v1/group/file", "pushGroupFile", api(pushGroupUpload("file")))
	add(http.MethodPost, "/bot/v1/notify/text", "notifyText", api((*Server).notifyText))
	add(http.MethodGet, "/bot/v1/users", "findUsers", api((*Server).findUsers))
	add(http.MethodPost, "/bot/v1/groups", "createGroup", api((*Server).createGroup))
	add(http.MethodPost, "/bot/v1/groups/{gid}/topics", "createTopic", api((*Server).createTopic))

	// BotV2.
	add(http.MethodPost, "/bot/v2/message/reply", "replyMessagesV2", api((*Server).replyV2))
	add(http.MethodPost, "/bot/v2/message/push", "pushMessagesV2", api((*Server).pushV2))
	add(http.MethodGet, "/bot/v2/groups/users/{uid}", "getDirectChatV2", api((*Server).directChatV2))
	add(http.MethodGet, "/bot/v2/groups/{gid}/users/{uid}/info", "getGroupUserInfoV2", api((*Server).groupUserInfoV2))

	// Files: header or access_token query.
	add(http.MethodGet, "/file/view/{id}", "viewFile", fileAPI((*Server).serveFile))
	add(http.MethodGet, "/file/image/{id}", "viewImage", fileAPI((*Server).serveFile))

	controlRoutes(add.under(controlPrefix))
}

// routeTable is the process's one router. Compiling gorilla/mux's path
// regexps was most of NewServer's cost, so it is built once per process,
// like the parsed fixtures (defaultFixtures) and the compiled contract
// (embeddedContract): it is never changed after it is built, and holds no
// Server's state — the router's handlers are routeIDs, which each Server
// maps to its own handler (Server.handlers), and the routeHandlers are
// given the Server they serve. It is a cache, not shared state.
type routeTable struct {
	router   *mux.Router
	routes   []Route        // by routeID
	handlers []routeHandler // by routeID; Eko API routes wrapped with withFaults
	// static maps a path without variables to its routes, by method: what
	// router.Match would find for that method and path, checked when the
	// table is built, without the router's regexps and allocations.
	static map[string][]staticRoute
}

// staticRoute is a route with a fixed path.
type staticRoute struct {
	method string
	id     routeID
}

// routeID is a route's position in routes' list. It is the handler
// the shared router holds for the route.
type routeID int

// ServeHTTP panics: the shared router is only matched against (Server.serve), never served.
func (id routeID) ServeHTTP(http.ResponseWriter, *http.Request) {
	panic(fmt.Sprintf("mockeko: route %d served without a Server", id))
}

// sharedRoutes returns the routeTable, built on first use. It is set in
// init because a var initializer would be an initialization cycle: some
// handlers call Server.Routes, which reads the table.
var sharedRoutes func() *routeTable

func init() { sharedRoutes = sync.OnceValue(buildRouteTable) }

// buildRouteTable compiles the router from the route list. Eko API routes
// get the injected faults (faults.go); the control plane never does.
func buildRouteTable() *routeTable {
	t := &routeTable{router: mux.NewRouter()}
	t.router.SkipClean(true) // a cleaned path would 301 a POST; middleware collapses "//" instead
	routes(func(method, path, name string, h routeHandler) {
		t.router.Methods(method).Path(path).Name(name).Handler(routeID(len(t.routes)))
		control := strings.HasPrefix(path, controlPrefix)
		t.routes = append(t.routes, Route{Name: name, Method: method, Path: path, Control: control})
		if !control {
			h = withFaults(name, h)
		}
		t.handlers = append(t.handlers, h)
	})
	t.static = map[string][]staticRoute{}
	for i, rt := range t.routes {
		if strings.Contains(rt.Path, "{") {
			continue
		}
		// Only where the router agrees: an earlier route with variables
		// that also matches the path would win in the router, so such a
		// path stays with the router.
		var m mux.RouteMatch
		r := &http.Request{Method: rt.Method, URL: &url.URL{Path: rt.Path}}
		if t.router.Match(r, &m) && m.MatchErr == nil && m.Handler == routeID(i) && len(m.Vars) == 0 {
			t.static[rt.Path] = append(t.static[rt.Path], staticRoute{rt.Method, routeID(i)})
		}
	}
	return t
}

// lookup finds r's route among the fixed paths.
func (t *routeTable) lookup(r *http.Request) (routeID, bool) {
	for _, sr := range t.static[r.URL.Path] {
		if sr.method == r.Method {
			return sr.id, true
		}
	}
	return 0, false
}

// boundRoute is a route's handler bound to the Server it serves.
type boundRoute struct {
	s *Server
	h routeHandler
}

func (b *boundRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.h(b.s, w, r) }

// routeHandlers builds s's handler for each route, by routeID: two
// allocations, whatever the number of routes.
func (s *Server) routeHandlers() []http.Handler {
	t := sharedRoutes()
	bound := make([]boundRoute, len(t.handlers))
	hs := make([]http.Handler, len(t.handlers))
	for i, h := range t.handlers {
		bound[i] = boundRoute{s: s, h: h}
		hs[i] = &bound[i]
	}
	return hs
}

// serve routes r to s's handler for it, or answers 404 or 405 in the error
// envelope. Path variables are set on r (r.PathValue).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	t := sharedRoutes()
	if id, ok := t.lookup(r); ok {
		s.handlers[id].ServeHTTP(w, r)
		return
	}
	var m mux.RouteMatch
	if t.router.Match(r, &m) && m.MatchErr == nil {
		for k, v := range m.Vars {
			r.SetPathValue(k, v)
		}
		s.handlers[m.Handler.(routeID)].ServeHTTP(w, r)
		return
	}
	drain(r)
	// gorilla/mux 1.8.1 forgets a method mismatch once a later route
	// matches the method, so a GET to a POST-only path can come back as not
	// found: the allowed methods are looked up either way.
	if allow := allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", ")) // RFC 9110 §15.5.6
		writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	writeError(w, notFound("no such endpoint: %s %s (see the README's list of emulated endpoints)", r.Method, r.URL.Path))
}

// Routes lists the routes the Server serves, Eko API and control plane.
func (s *Server) Routes() []Route {
	return append([]Route(nil), sharedRoutes().routes...)
}

// allowedMethods lists the methods a route serves r's path with.
func allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		rc := r.Clone(r.Context())
		rc.Method = m
		var match mux.RouteMatch
		if sharedRoutes().router.Match(rc, &match) && match.MatchErr == nil {
			out = append(out, m)
		}
	}
	return out
}
