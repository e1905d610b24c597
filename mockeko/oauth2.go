package mockeko

import "golang.org/x/oauth2/clientcredentials"

// ClientCredentials returns a golang.org/x/oauth2 client-credentials
// configuration for the default bot (see Bot), asking for scopes (default
// "bot"). Its Client method returns an *http.Client that fetches, caches and
// refreshes tokens and adds Authorization: Bearer to every call.
func (s *Server) ClientCredentials(scopes ...string) *clientcredentials.Config {
	return s.BotCredentials(s.Bot(), scopes...)
}

// BotCredentials is ClientCredentials for any bot.
func (s *Server) BotCredentials(b Bot, scopes ...string) *clientcredentials.Config {
	if len(scopes) == 0 {
		scopes = []string{"bot"}
	}
	return &clientcredentials.Config{
		ClientID:     b.ClientID,
		ClientSecret: b.ClientSecret,
		TokenURL:     s.URL + "/oauth/token",
		Scopes:       scopes,
	}
}
