package mockeko

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Fault makes Eko API calls misbehave, to exercise a bot's error handling:
// answer with Status instead of running the endpoint, wait Latency first,
// or both. It applies to the operation named by Operation: a route name
// such as "pushGroupMessage" (see Server.Routes) or a path such as
// "/bot/v1/group/message"; empty matches every Eko API call. Count limits
// how many calls it hits (0: until cleared).
type Fault struct {
	ID        string `json:"id"`
	Operation string `json:"operation,omitempty"`
	Status    int    `json:"status,omitempty"`
	LatencyMs int    `json:"latencyMs,omitempty"`
	Count     int    `json:"count,omitempty"`
	Message   string `json:"message,omitempty"`
	Hits      int    `json:"hits"`
}

func (f *Fault) matches(name, path string) bool {
	return f.Operation == "" || f.Operation == name || f.Operation == path
}

// InjectFault adds an API fault and returns it with its id.
func (s *Server) InjectFault(f Fault) (Fault, error) {
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return Fault{}, badRequest("status must be a 4xx or 5xx code, got %d", f.Status)
	}
	if f.Status == 0 && f.LatencyMs <= 0 {
		return Fault{}, badRequest("a fault needs a status, a latencyMs, or both")
	}
	if f.LatencyMs < 0 || f.LatencyMs > 60_000 || f.Count < 0 {
		return Fault{}, badRequest("latencyMs must be 0 to 60000 and count at least 0")
	}
	if f.Operation != "" && !strings.HasPrefix(f.Operation, "/") && !slices.ContainsFunc(s.Routes(), func(r Route) bool { return !r.Control && r.Name == f.Operation }) {
		return Fault{}, badRequest("unknown operation %q: use a route name such as pushGroupMessage or a path", f.Operation)
	}
	f.ID = s.ids.objectID()
	f.Hits = 0
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	return f, nil
}

// Faults returns the active faults.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// takeFault returns the first matching fault and counts the hit.
func (s *Server) takeFault(name, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(name, path) {
			continue
		}
		f.Hits++
		got := *f
		if f.Count > 0 && f.Hits >= f.Count {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return got, true
	}
	return Fault{}, false
}

// withFaults applies injected faults to the Eko API route named op (never
// to the control plane).
func withFaults(op string, next routeHandler) routeHandler {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		none := len(s.faults) == 0
		s.mu.Unlock()
		if none {
			next(s, w, r)
			return
		}
		f, ok := s.takeFault(op, r.URL.Path)
		if !ok {
			next(s, w, r)
			return
		}
		if f.LatencyMs > 0 {
			t := time.NewTimer(time.Duration(f.LatencyMs) * time.Millisecond)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if f.Status == 0 {
			next(s, w, r)
			return
		}
		drain(r)
		msg := f.Message
		if msg == "" {
			msg = "injected fault " + f.ID
		}
		e := errorf(f.Status, faultCode(f.Status), "%s", msg)
		if f.Status == http.StatusUnauthorized {
			e.Header = http.Header{"Www-Authenticate": {`Bearer realm="eko", error="invalid_token"`}}
		}
		writeError(w, e)
	}
}

func faultCode(status int) string {
	switch status {
	case 400:
		return "invalid_request"
	case 401:
		return "invalid_token"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 429:
		return "rate_limited"
	case 503:
		return "service_unavailable"
	}
	if status >= 500 {
		return "server_error"
	}
	return "fault"
}

func (s *Server) ctlFaults(*http.Request) (int, any, error) {
	return http.StatusOK, map[string][]Fault{"faults": s.Faults()}, nil
}

func (s *Server) ctlInjectFault(r *http.Request) (int, any, error) {
	var f Fault
	if err := s.readControl(r, &f); err != nil {
		return 0, nil, err
	}
	nf, err := s.InjectFault(f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]Fault{"fault": nf}, nil
}

func (s *Server) ctlClearFaults(*http.Request) (int, any, error) {
	s.ClearFaults()
	return http.StatusOK, map[string][]Fault{"faults": {}}, nil
}
