package mockeko

import (
	"context"
	"net/http"
	"slices"
)

// deliveryAnswer is the control plane's answer about one delivery.
type deliveryAnswer struct {
	Delivery  *Delivery `json:"delivery"`
	MessageID string    `json:"messageId,omitempty"`
}

// waitParam reads ?wait=true|false.
func waitParam(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("wait"); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, badRequest("wait must be true or false, got %q", v)
	}
}

// answerDelivery waits for d when asked and writes it: 202 while pending, 200 once done.
func (s *Server) answerDelivery(ctx context.Context, d Delivery, wait bool) (int, any, error) {
	if d.ID == "" { // a file with FileEvents off: stored, no webhook
		return http.StatusOK, deliveryAnswer{MessageID: d.MessageID}, nil
	}
	if wait {
		var err error
		if d, err = s.WaitDone(ctx, d.ID); err != nil && ctx.Err() == nil {
			return 0, nil, err
		}
	}
	status := http.StatusAccepted
	if d.Done() {
		status = http.StatusOK
	}
	return status, deliveryAnswer{Delivery: &d, MessageID: d.MessageID}, nil
}

// ctlTrigger is POST /_mockeko/events: a simulated user's action → a webhook.
func (s *Server) ctlTrigger(r *http.Request) (int, any, error) {
	wait, err := waitParam(r)
	if err != nil {
		return 0, nil, err
	}
	var ev Event
	if err := s.readControl(r, &ev); err != nil {
		return 0, nil, err
	}
	d, err := s.Trigger(ev)
	if err != nil {
		return 0, nil, err
	}
	return s.answerDelivery(r.Context(), d, wait)
}

// ctlDeliveries is GET /_mockeko/deliveries?botId=&state=&type=: the journal, oldest first.
func (s *Server) ctlDeliveries(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	state, typ, bot := q.Get("state"), q.Get("type"), q.Get("botId")
	if state != "" && !slices.Contains([]string{DeliveryPending, DeliveryDelivered, DeliveryFailed, DeliveryDropped}, state) {
		return 0, nil, badRequest("state must be pending, delivered, failed or dropped, got %q", state)
	}
	all := s.Deliveries()
	out := all[:0]
	for _, d := range all {
		if (state == "" || d.State == state) && (typ == "" || d.EventType == typ) && (bot == "" || d.BotID == bot) {
			out = append(out, d)
		}
	}
	return http.StatusOK, map[string][]Delivery{"deliveries": out}, nil
}

// ctlDelivery is GET /_mockeko/deliveries/{id}.
func (s *Server) ctlDelivery(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	d, ok := s.Delivery(id)
	if !ok {
		return 0, nil, notFound("delivery %s not found", id)
	}
	return http.StatusOK, deliveryAnswer{Delivery: &d}, nil
}

// ctlReplay is POST /_mockeko/deliveries/{id}/replay (?wait=true).
func (s *Server) ctlReplay(r *http.Request) (int, any, error) {
	wait, err := waitParam(r)
	if err != nil {
		return 0, nil, err
	}
	drainControl(r)
	d, err := s.Replay(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return s.answerDelivery(r.Context(), d, wait)
}

// ctlWebhookConfig is GET /_mockeko/bots/{id}/webhook.
func (s *Server) ctlWebhookConfig(r *http.Request) (int, any, error) {
	c, err := s.WebhookConfig(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]WebhookConfig{"webhook": c}, nil
}

// ctlPutWebhookConfig is POST /_mockeko/bots/{id}/webhook: replaces the
// bot's delivery config (fields left out take their defaults).
func (s *Server) ctlPutWebhookConfig(r *http.Request) (int, any, error) {
	var c WebhookConfig
	if err := s.readControl(r, &c); err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	if err := s.SetWebhookConfig(id, c); err != nil {
		return 0, nil, err
	}
	return s.ctlWebhookConfig(r)
}

// drainControl discards a little of an unused body.
func drainControl(r *http.Request) { drain(r) }
