package mockeko

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// The message and postback payloads are every delivery's work, so they are
// written without reflection, byte for byte as encoding/json writes them
// (FuzzWebhookBody holds them to it): strings that need no escaping are
// copied, any other string is left to encoding/json, and profile keys are
// sorted. The rarer join and workflow payloads go through marshalBody.

// messageBody returns the body of a message event's delivery.
func messageBody(e *whMessage) []byte {
	var scratch [1024]byte // most bodies fit: no allocation but the result
	b := appendStrings(scratch[:0], `{"events":[{"replyToken":`, e.ReplyToken, `,"type":`, e.Type)
	b = append(b, `,"source":`...)
	b = appendSource(b, &e.Source)
	m := &e.Message
	b = appendStrings(b, `,"message":{"id":`, m.ID, `,"type":`, m.Type, `,"groupId":`, m.GroupID,
		`,"groupType":`, m.GroupType, `,"topicId":`, m.TopicID)
	for _, f := range [...]struct{ key, v string }{
		{`,"text":`, m.Text}, {`,"pictureId":`, m.PictureID}, {`,"fileId":`, m.FileID},
		{`,"fileName":`, m.FileName}, {`,"packageId":`, m.PackageID}, {`,"stickerId":`, m.StickerID},
	} {
		if f.v != "" { // omitempty
			b = appendStrings(b, f.key, f.v)
		}
	}
	b = append(b, '}')
	b = appendEventTail(b, e.Timestamp, e.SessionID, &e.Meta)
	return bytes.Clone(b)
}

// postbackBody returns the body of a postback event's delivery.
func postbackBody(e *whPostback) []byte {
	var scratch [1024]byte
	b := appendStrings(scratch[:0], `{"events":[{"replyToken":`, e.ReplyToken, `,"type":`, e.Type)
	b = append(b, `,"source":`...)
	b = appendSource(b, &e.Source)
	b = appendStrings(b, `,"postback":{"data":`, e.Postback.Data)
	if e.Postback.Text != "" { // omitempty
		b = appendStrings(b, `,"text":`, e.Postback.Text)
	}
	b = append(b, '}')
	b = appendEventTail(b, e.Timestamp, e.SessionID, &e.Meta)
	return bytes.Clone(b)
}

// appendEventTail appends the members after a message or postback event's
// own object, and closes the event and the envelope.
func appendEventTail(b []byte, timestamp, session string, m *whMeta) []byte {
	b = appendStrings(b, `,"timestamp":`, timestamp, `,"sessionId":`, session, `,"meta":{"botId":`, m.BotID,
		`,"networkId":`, m.NetworkID, `,"clientId":`, m.ClientID, `,"userId":`, m.UserID)
	b = append(b, `,"deep_research":`...)
	if m.DeepResearch {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	return append(b, "}}]}"...)
}

// appendSource appends an event's source object.
func appendSource(b []byte, s *whSource) []byte {
	b = appendStrings(b, `{"type":`, s.Type, `,"userId":`, s.UserID, `,"username":`, s.Username, `,"email":`, s.Email)
	b = append(b, `,"profile":`...)
	b = appendStringMap(b, s.Profile)
	return append(b, '}')
}

// appendStringMap appends m as encoding/json does: keys sorted, nil as null.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	var buf [8]string // a profile has a few fields
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendStrings appends members whose values are strings: each key with
// the punctuation before it (`,"type":`), then its value.
func appendStrings(b []byte, keyValues ...string) []byte {
	for i := 0; i+1 < len(keyValues); i += 2 {
		b = append(b, keyValues[i]...)
		b = appendJSONString(b, keyValues[i+1])
	}
	return b
}

// appendJSONString appends s quoted as encoding/json writes a string: a
// string of plain bytes (see jsonPlain) as it is, any other by
// encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	if !jsonPlain(s) {
		q, _ := json.Marshal(s) // a string: cannot fail
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// isoMillisString formats t in UTC as isoMillis does, without parsing the
// layout on every call.
func isoMillisString(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(isoMillis)
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / int(time.Millisecond)
	var b [24]byte
	put := func(at, v, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, ms, 3)
	b[23] = 'Z'
	return string(b[:])
}
