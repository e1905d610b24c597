package mockeko

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// Route is one route a Server serves.
type Route struct {
	Name    string // the route's name, which is its OpenAPI operationId
	Method  string
	Path    string // gorilla/mux template, the same as the OpenAPI path key
	Control bool   // part of the /_mockeko control plane, not of the Eko API
}

// routes lists every route, one per line: the whole surface in one place.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true) // a cleaned path would 301 a POST; middleware collapses "//" instead
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		// gorilla/mux 1.8.1 forgets a method mismatch once a later route
		// matches the method, so a GET to a POST-only path lands here.
		if allow := s.allowedMethods(r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(w, notFound("no such endpoint: %s %s (see the README's list of emulated endpoints)", r.Method, r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		w.Header().Set("Allow", strings.Join(s.allowedMethods(r), ", ")) // RFC 9110 §15.5.6
		writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
	})

	// OAuth2.
	r.Methods(http.MethodPost).Path("/oauth/token").Name("getToken").HandlerFunc(s.handleToken)

	// BotV1: replies (reply token), pushes, notify, chat management.
	r.Methods(http.MethodPost).Path("/bot/v1/message/text").Name("replyText").Handler(s.api(s.replyText))
	r.Methods(http.MethodPost).Path("/bot/v1/message/picture").Name("replyPicture").Handler(s.api(s.replyPicture))
	r.Methods(http.MethodPost).Path("/bot/v1/message/quickreply").Name("replyQuickReply").Handler(s.api(s.replyQuickReply))
	r.Methods(http.MethodPost).Path("/bot/v1/direct/message").Name("pushDirectMessage").Handler(s.api(s.pushDirectMessage))
	r.Methods(http.MethodPost).Path("/bot/v1/direct/picture").Name("pushDirectPicture").Handler(s.api(s.pushDirectUpload("picture")))
	r.Methods(http.MethodPost).Path("/bot/v1/direct/file").Name("pushDirectFile").Handler(s.api(s.pushDirectUpload("file")))
	r.Methods(http.MethodPost).Path("/bot/v1/group/message").Name("pushGroupMessage").Handler(s.api(s.pushGroupMessage))
	r.Methods(http.MethodPost).Path("/bot/v1/group/picture").Name("pushGroupPicture").Handler(s.api(s.pushGroupUpload("picture")))
	r.Methods(http.MethodPost).Path("/bot/v1/group/file").Name("pushGroupFile").Handler(s.api(s.pushGroupUpload("file")))
	r.Methods(http.MethodPost).Path("/bot/v1/notify/text").Name("notifyText").Handler(s.api(s.notifyText))
	r.Methods(http.MethodGet).Path("/bot/v1/users").Name("findUsers").Handler(s.api(s.findUsers))
	r.Methods(http.MethodPost).Path("/bot/v1/groups").Name("createGroup").Handler(s.api(s.createGroup))
	r.Methods(http.MethodPost).Path("/bot/v1/groups/{gid}/topics").Name("createTopic").Handler(s.api(s.createTopic))

	// BotV2.
	r.Methods(http.MethodPost).Path("/bot/v2/message/reply").Name("replyMessagesV2").Handler(s.api(s.replyV2))
	r.Methods(http.MethodPost).Path("/bot/v2/message/push").Name("pushMessagesV2").Handler(s.api(s.pushV2))
	r.Methods(http.MethodGet).Path("/bot/v2/groups/users/{uid}").Name("getDirectChatV2").Handler(s.api(s.directChatV2))
	r.Methods(http.MethodGet).Path("/bot/v2/groups/{gid}/users/{uid}/info").Name("getGroupUserInfoV2").Handler(s.api(s.groupUserInfoV2))

	// Files: header or access_token query.
	r.Methods(http.MethodGet).Path("/file/view/{id}").Name("viewFile").Handler(s.fileAPI(s.serveFile))
	r.Methods(http.MethodGet).Path("/file/image/{id}").Name("viewImage").Handler(s.fileAPI(s.serveFile))

	s.controlRoutes(r.PathPrefix(controlPrefix).Subrouter())
	r.Use(s.faultMiddleware)
	return r
}

// Routes lists the routes the Server serves, Eko API and control plane.
func (s *Server) Routes() []Route {
	var out []Route
	_ = s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a prefix or subrouter, not an endpoint
		}
		for _, m := range methods {
			out = append(out, Route{Name: route.GetName(), Method: m, Path: tpl, Control: strings.HasPrefix(tpl, controlPrefix)})
		}
		return nil
	})
	return out
}

// allowedMethods lists the methods a route serves r's path with.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method {
			continue
		}
		rc := r.Clone(r.Context())
		rc.Method = m
		var match mux.RouteMatch
		if s.router.Match(rc, &match) && match.MatchErr == nil && match.Route != nil {
			out = append(out, m)
		}
	}
	return out
}
