package mockeko

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"time"
)

// controlPrefix is the reserved prefix of the control plane. It is never
// part of the Eko contract.
const controlPrefix = "/_mockeko"

// controlRoutes lists the control plane, one route per line. The routes and
// field names are a stable interface (design.md).
func controlRoutes(add addRoute) {
	add(http.MethodGet, "/health", "health", ctl((*Server).ctlHealth))
	add(http.MethodPost, "/reset", "reset", ctl((*Server).ctlReset))
	add(http.MethodGet, "/bots", "listBots", ctl((*Server).ctlBots))
	add(http.MethodPost, "/bots", "putBot", ctl((*Server).ctlPutBot))
	add(http.MethodGet, "/users", "listUsers", ctl((*Server).ctlUsers))
	add(http.MethodPost, "/users", "putUser", ctl((*Server).ctlPutUser))
	add(http.MethodGet, "/groups", "listGroups", ctl((*Server).ctlGroups))
	add(http.MethodPost, "/groups", "putGroup", ctl((*Server).ctlPutGroup))
	add(http.MethodGet, "/messages", "listMessages", ctl((*Server).ctlMessages))
	add(http.MethodPost, "/clock/advance", "advanceClock", ctl((*Server).ctlAdvance))
	add(http.MethodPost, "/replytokens", "mintReplyToken", ctl((*Server).ctlMintReplyToken))
	add(http.MethodPost, "/tokens/revoke", "revokeTokens", ctl((*Server).ctlRevoke))
	add(http.MethodGet, "/faults", "listFaults", ctl((*Server).ctlFaults))
	add(http.MethodPost, "/faults", "injectFault", ctl((*Server).ctlInjectFault))
	add(http.MethodDelete, "/faults", "clearFaults", ctl((*Server).ctlClearFaults))
	add(http.MethodPost, "/events", "simulateEvent", ctl((*Server).ctlTrigger))
	add(http.MethodGet, "/deliveries", "listDeliveries", ctl((*Server).ctlDeliveries))
	add(http.MethodGet, "/deliveries/{id}", "getDelivery", ctl((*Server).ctlDelivery))
	add(http.MethodPost, "/deliveries/{id}/replay", "replayDelivery", ctl((*Server).ctlReplay))
	add(http.MethodGet, "/bots/{id}/webhook", "getWebhookConfig", ctl((*Server).ctlWebhookConfig))
	add(http.MethodPost, "/bots/{id}/webhook", "putWebhookConfig", ctl((*Server).ctlPutWebhookConfig))
	contractRoutes(add)
}

// ctlFunc handles a control-plane request to s and returns the status and
// body. The control-plane methods are ctlFuncs as method expressions:
// (*Server).ctlHealth.
type ctlFunc func(s *Server, r *http.Request) (int, any, error)

// ctl makes h a route handler that writes h's answer as JSON.
func ctl(h ctlFunc) routeHandler {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		status, v, err := h(s, r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, status, v)
	}
}

// readControl decodes a control-plane JSON body into v.
func (s *Server) readControl(r *http.Request, v any) error {
	raw, err := s.controlBody(r)
	if err != nil {
		return err
	}
	if err := checkJSONObject(raw); err != nil { // the decoder below stops at the first value
		return err
	}
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeJSONStrict(err)
	}
	return nil
}

// controlBody reads a control-plane body. The control plane takes JSON only,
// but `curl -d '{...}'` labels it application/x-www-form-urlencoded and some
// scripts send no Content-Type at all: a body that is a JSON object is read
// as JSON in both cases.
func (s *Server) controlBody(r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if ct != "" && mt != "application/x-www-form-urlencoded" {
		b, err := s.readBody(nopWriter{}, r, encJSON)
		if err != nil {
			return nil, err
		}
		return b.raw, nil
	}
	raw, err := io.ReadAll(http.MaxBytesReader(nopWriter{}, r.Body, s.cfg.maxBody))
	if err != nil {
		return nil, bodyError(err, s.cfg.maxBody, "body")
	}
	if ct != "" && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type %s is not accepted here: send one of %s", mt, encJSON)
	}
	return raw, nil
}

func (s *Server) ctlHealth(*http.Request) (int, any, error) {
	return http.StatusOK, map[string]string{"status": "ok"}, nil
}

func (s *Server) ctlReset(*http.Request) (int, any, error) {
	if err := s.Reset(); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"status": "ok"}, nil
}

func (s *Server) ctlBots(*http.Request) (int, any, error) {
	return http.StatusOK, map[string][]Bot{"bots": s.Bots()}, nil
}

// ctlPutBot adds a bot, or updates the one with the id: fields left out
// keep their values, so {"id":…,"webhookUrl":…} points a bot at its
// endpoint without changing its credentials.
func (s *Server) ctlPutBot(r *http.Request) (int, any, error) {
	var raw json.RawMessage
	if err := s.readControl(r, &raw); err != nil {
		return 0, nil, err
	}
	var probe struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &probe)
	var b Bot
	status := http.StatusCreated
	if probe.ID != "" {
		if old, ok := s.botByID(probe.ID); ok {
			b, status = old, http.StatusOK
		}
	}
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return 0, nil, decodeJSONStrict(err)
	}
	nb, err := s.AddBot(b)
	if err != nil {
		return 0, nil, badRequest("%v", trimPrefix(err))
	}
	return status, map[string]Bot{"bot": nb}, nil
}

func (s *Server) botByID(id string) (Bot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.st.bots[id]
	if !ok {
		return Bot{}, false
	}
	return b.clone(), true
}

func (s *Server) ctlUsers(*http.Request) (int, any, error) {
	return http.StatusOK, map[string][]User{"users": s.Users()}, nil
}

func (s *Server) ctlPutUser(r *http.Request) (int, any, error) {
	var u User
	if err := s.readControl(r, &u); err != nil {
		return 0, nil, err
	}
	status := http.StatusCreated
	if _, ok := s.User(u.ID); ok && u.ID != "" {
		status = http.StatusOK
	}
	nu, err := s.AddUser(u)
	if err != nil {
		return 0, nil, badRequest("%v", trimPrefix(err))
	}
	return status, map[string]User{"user": nu}, nil
}

func (s *Server) ctlGroups(*http.Request) (int, any, error) {
	return http.StatusOK, map[string][]Group{"groups": s.Groups()}, nil
}

func (s *Server) ctlPutGroup(r *http.Request) (int, any, error) {
	var g Group
	if err := s.readControl(r, &g); err != nil {
		return 0, nil, err
	}
	status := http.StatusCreated
	if _, ok := s.Group(g.ID); ok && g.ID != "" {
		status = http.StatusOK
	}
	ng, err := s.AddGroup(g)
	if err != nil {
		return 0, nil, badRequest("%v", trimPrefix(err))
	}
	return status, map[string]Group{"group": ng}, nil
}

func (s *Server) ctlMessages(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	gid, tid := q.Get("gid"), q.Get("tid")
	if gid != "" {
		if _, ok := s.Group(gid); !ok {
			return 0, nil, notFound("group %s not found", gid)
		}
	}
	return http.StatusOK, map[string][]Message{"messages": s.Messages(gid, tid)}, nil
}

func (s *Server) ctlAdvance(r *http.Request) (int, any, error) {
	var req struct {
		Seconds float64 `json:"seconds"`
	}
	if err := s.readControl(r, &req); err != nil {
		return 0, nil, err
	}
	if req.Seconds <= 0 || req.Seconds > 10*365*24*3600 {
		return 0, nil, badRequest("seconds must be a positive number of at most ten years, got %v", req.Seconds)
	}
	now := s.Advance(time.Duration(req.Seconds * float64(time.Second)))
	return http.StatusOK, map[string]time.Time{"now": now.UTC()}, nil
}

func (s *Server) ctlMintReplyToken(r *http.Request) (int, any, error) {
	var req struct {
		BotID string `json:"botId"`
		GID   string `json:"gid"`
		TID   string `json:"tid"`
	}
	if err := s.readControl(r, &req); err != nil {
		return 0, nil, err
	}
	if req.BotID == "" {
		req.BotID = s.Bot().ID
	}
	rt, err := s.MintReplyToken(req.BotID, req.GID, req.TID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, rt, nil
}

func (s *Server) ctlRevoke(r *http.Request) (int, any, error) {
	var req struct {
		BotID string `json:"botId"`
	}
	if err := s.readControl(r, &req); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int{"revoked": s.RevokeTokens(req.BotID)}, nil
}
