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

// addRoute registers one route: its method, gorilla/mux path template,
// name (the OpenAPI operationId) and handler.
type addRoute func(method, path, name string, h http.Handler)

// under returns an addRoute that prefixes every path with prefix.
func (add addRoute) under(prefix string) addRoute {
	return func(method, path, name string, h http.Handler) { add(method, prefix+path, name, h) }
}

// routes lists every route, one per line: the whole surface in one place.
// It only builds handlers (closures over s); it must not read s's state or
// options, because the process-wide router is built by calling it on a
// zero Server (see sharedRoutes).
func (s *Server) routes(add addRoute) {
	// OAuth2.
	add(http.MethodPost, "/oauth/token", "getToken", http.HandlerFunc(s.handleToken))

	// BotV1: replies (reply token), pushes, notify, chat management.
	add(http.MethodPost, "/bot/v1/message/text", "replyText", s.api(s.replyText))
	add(http.MethodPost, "/bot/v1/message/picture", "replyPicture", s.api(s.replyPicture))
	add(http.MethodPost, "/bot/v1/message/quickreply", "replyQuickReply", s.api(s.replyQuickReply))
	add(http.MethodPost, "/bot/v1/direct/message", "pushDirectMessage", s.api(s.pushDirectMessage))
	add(http.MethodPost, "/bot/v1/direct/picture", "pushDirectPicture", s.api(s.pushDirectUpload("picture")))
	add(http.MethodPost, "/bot/v1/direct/file", "pushDirectFile", s.api(s.pushDirectUpload("file")))
	add(http.MethodPost, "/bot/v1/group/message", "pushGroupMessage", s.api(s.pushGroupMessage))
	add(http.MethodPost, "/bot/v1/group/picture", "pushGroupPicture", s.api(s.pushGroupUpload("picture")))
	add(http.MethodPost, "/bot/v1/group/file", "pushGroupFile", s.api(s.pushGroupUpload("file")))
	add(http.MethodPost, "/bot/v1/notify/text", "notifyText", s.api(s.notifyText))
	add(http.MethodGet, "/bot/v1/users", "findUsers", s.api(s.findUsers))
	add(http.MethodPost, "/bot/v1/groups", "createGroup", s.api(s.createGroup))
	add(http.MethodPost, "/bot/v1/groups/{gid}/topics", "createTopic", s.api(s.createTopic))

	// BotV2.
	add(http.MethodPost, "/bot/v2/message/reply", "replyMessagesV2", s.api(s.replyV2))
	add(http.MethodPost, "/bot/v2/message/push", "pushMessagesV2", s.api(s.pushV2))
	add(http.MethodGet, "/bot/v2/groups/users/{uid}", "getDirectChatV2", s.api(s.directChatV2))
	add(http.MethodGet, "/bot/v2/groups/{gid}/users/{uid}/info", "getGroupUserInfoV2", s.api(s.groupUserInfoV2))

	// Files: header or access_token query.
	add(http.MethodGet, "/file/view/{id}", "viewFile", s.fileAPI(s.serveFile))
	add(http.MethodGet, "/file/image/{id}", "viewImage", s.fileAPI(s.serveFile))

	s.controlRoutes(add.under(controlPrefix))
}

// routeTable is the process's one router. Compiling gorilla/mux's path
// regexps was most of NewServer's cost, so it is built once per process,
// like the parsed fixtures (defaultFixtures) and the compiled contract
// (embeddedContract): it is never changed after it is built, and holds no
// Server's state — its handlers are routeIDs, which each Server maps to its
// own handler (Server.handlers). It is a cache, not shared state.
type routeTable struct {
	router *mux.Router
	routes []Route // by routeID
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

// routeID is a route's position in Server.routes' list. It is the handler
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

// buildRouteTable compiles the router from the route list.
func buildRouteTable() *routeTable {
	t := &routeTable{router: mux.NewRouter()}
	t.router.SkipClean(true) // a cleaned path would 301 a POST; middleware collapses "//" instead
	new(Server).routes(func(method, path, name string, _ http.Handler) {
		t.router.Methods(method).Path(path).Name(name).Handler(routeID(len(t.routes)))
		t.routes = append(t.routes, Route{Name: name, Method: method, Path: path, Control: strings.HasPrefix(path, controlPrefix)})
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

// routeHandlers builds s's handler for each route, by routeID. Eko API routes
// get the injected faults (faults.go); the control plane never does.
func (s *Server) routeHandlers() []http.Handler {
	t := sharedRoutes()
	hs := make([]http.Handler, 0, len(t.routes))
	s.routes(func(method, path, name string, h http.Handler) {
		if i := len(hs); i >= len(t.routes) || t.routes[i].Name != name {
			panic("mockeko: routes must list the same routes for every Server; " + name + " is out of step")
		}
		if !strings.HasPrefix(path, controlPrefix) {
			h = s.withFaults(name, h)
		}
		hs = append(hs, h)
	})
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
