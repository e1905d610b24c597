package zzjson

import (
	"encoding/json"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

type textMessage struct {
	Type string `json:"type"`
	Data string `json:"data"`
}
type req struct {
	GID     string       `json:"gid"`
	TID     string       `json:"tid"`
	Message *textMessage `json:"message"`
}

var body = []byte(`{"gid":"5ae99669299892c81ec1d7fa","message":{"type":"text","data":"` + strings.Repeat("x", 950) + `"}}`)

func BenchmarkV1Compat(b *testing.B) {
	for b.Loop() {
		var r req
		if err := jsonv1.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkV2(b *testing.B) {
	for b.Loop() {
		var r req
		if err := jsonv2.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkStd(b *testing.B) {
	for b.Loop() {
		var r req
		if err := json.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkValidOnly(b *testing.B) {
	for b.Loop() {
		if !jsontext.Value(body).IsValid() {
			b.Fatal()
		}
	}
}

func BenchmarkV2WithV1Opts(b *testing.B) {
	opts := jsonv1.DefaultOptionsV1()
	for b.Loop() {
		var r req
		if err := jsonv2.Unmarshal(body, &r, opts); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkV2Lenient(b *testing.B) {
	opts := jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true), jsonv2.MatchCaseInsensitiveNames(true))
	for b.Loop() {
		var r req
		if err := jsonv2.Unmarshal(body, &r, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpt(b *testing.B) {
	for name, o := range map[string]jsonv2.Options{
		"dup":    jsontext.AllowDuplicateNames(true),
		"utf8":   jsontext.AllowInvalidUTF8(true),
		"case":   jsonv2.MatchCaseInsensitiveNames(true),
		"v1only": jsonv1.DefaultOptionsV1(),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var r req
				if err := jsonv2.Unmarshal(body, &r, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
