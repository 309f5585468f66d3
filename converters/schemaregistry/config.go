package schemaregistry

import (
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

// The settings ConfigFromProps reads, with Confluent's serializer names.
const (
	URLProp               = "schema.registry.url"
	BasicAuthSourceProp   = "basic.auth.credentials.source"
	BasicAuthUserInfoProp = "basic.auth.user.info"
	// LegacyUserInfoProp is the older name of basic.auth.user.info, still accepted by Confluent.
	LegacyUserInfoProp        = "schema.registry.basic.auth.user.info"
	BearerAuthSourceProp      = "bearer.auth.credentials.source"
	BearerAuthTokenProp       = "bearer.auth.token"
	TruststoreLocationProp    = "schema.registry.ssl.truststore.location"
	TruststoreTypeProp        = "schema.registry.ssl.truststore.type"
	KeystoreLocationProp      = "schema.registry.ssl.keystore.location"
	KeystoreTypeProp          = "schema.registry.ssl.keystore.type"
	KeyLocationProp           = "schema.registry.ssl.key.location"
	EndpointIdentificationAlg = "schema.registry.ssl.endpoint.identification.algorithm"
	// RequestTimeoutProp is Lambda Connect's own: the timeout of one registry request.
	RequestTimeoutProp = "schema.registry.request.timeout.ms"
	// CacheCapacityProp is Lambda Connect's own: how many schemas the client keeps by id.
	CacheCapacityProp = "schema.registry.cache.capacity"
)

// Defaults.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultCacheCapacity = 1000
)

// TLS configures the client's TLS: files are PEM.
type TLS struct {
	// CAFile holds the certificates the registry's certificate must chain to (the system pool when
	// empty).
	CAFile string
	// CertFile and KeyFile are the client certificate and its key (mutual TLS); KeyFile may be
	// empty when CertFile holds both.
	CertFile, KeyFile string
	// InsecureSkipVerify accepts any server certificate. For tests only.
	InsecureSkipVerify bool
	// SkipHostnameVerification checks the certificate chain but not the host name (Confluent's
	// schema.registry.ssl.endpoint.identification.algorithm set to "").
	SkipHostnameVerification bool
}

// Config configures a Client. Validate checks it; New calls Validate.
type Config struct {
	// URL is the registry's base URL, or a comma-separated list of them (tried in order while
	// unreachable, as Confluent's client does). User info in a URL is used for basic auth when
	// BasicAuth is empty.
	URL string
	// BasicAuth is user:password; BearerToken a static bearer token. At most one is set.
	BasicAuth   string
	BearerToken string
	TLS         TLS
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// CacheCapacity is how many schemas are kept by id, and how many (subject, schema)
	// registrations and lookups (DefaultCacheCapacity when zero).
	CacheCapacity int
}

// Validate checks the configuration; errors are errclass.BadConfig naming the setting.
func (c Config) Validate() error {
	urls, err := c.urls()
	if err != nil {
		return err
	}
	if len(urls) == 0 {
		return errclass.Config(URLProp, "required: the schema registry's URL")
	}
	if c.BasicAuth != "" && !strings.Contains(c.BasicAuth, ":") {
		return errclass.Config(BasicAuthUserInfoProp, "must be user:password")
	}
	if c.BasicAuth != "" && c.BearerToken != "" {
		return errclass.Config(BearerAuthTokenProp, "set either basic auth or a bearer token, not both")
	}
	if c.Timeout < 0 {
		return errclass.Config(RequestTimeoutProp, "must not be negative, got %s", c.Timeout)
	}
	if c.CacheCapacity < 0 {
		return errclass.Config(CacheCapacityProp, "must not be negative, got %d", c.CacheCapacity)
	}
	if c.TLS.KeyFile != "" && c.TLS.CertFile == "" {
		return errclass.Config(KeystoreLocationProp, "a key file needs a certificate file")
	}
	for _, f := range []struct{ setting, path string }{{TruststoreLocationProp, c.TLS.CAFile}, {KeystoreLocationProp, c.TLS.CertFile}, {KeyLocationProp, c.TLS.KeyFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return errclass.New(errclass.BadConfig, f.setting, err)
		}
	}
	return nil
}

// urls parses the comma-separated URL list.
func (c Config) urls() ([]*url.URL, error) {
	var out []*url.URL
	for _, s := range strings.Split(c.URL, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errclass.Config(URLProp, "%q is not an http(s) URL", redact(s))
		}
		out = append(out, u)
	}
	return out, nil
}

// redact removes the password of a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// known lists the settings ConfigFromProps accepts.
var known = []string{URLProp, BasicAuthSourceProp, BasicAuthUserInfoProp, LegacyUserInfoProp, BearerAuthSourceProp,
	BearerAuthTokenProp, TruststoreLocationProp, TruststoreTypeProp, KeystoreLocationProp,
	KeystoreTypeProp, KeyLocationProp, EndpointIdentificationAlg, RequestTimeoutProp, CacheCapacityProp}

// IsRegistryProp reports whether a setting belongs to the registry client: it starts with
// schema.registry., basic.auth. or bearer.auth.
func IsRegistryProp(k string) bool {
	return strings.HasPrefix(k, "schema.registry.") || strings.HasPrefix(k, "basic.auth.") || strings.HasPrefix(k, "bearer.auth.")
}

// ConfigFromProps reads the registry client's settings, by Confluent's names, from a converter's
// properties (prefix stripped): schema.registry.url, basic.auth.credentials.source (USER_INFO or
// URL) with basic.auth.user.info, bearer.auth.credentials.source (STATIC_TOKEN) with
// bearer.auth.token, schema.registry.ssl.truststore.location (PEM), schema.registry.ssl.keystore.location
// (PEM certificate, with its key in it or in schema.registry.ssl.key.location),
// schema.registry.ssl.endpoint.identification.algorithm ("" disables host name checks), and Lambda
// Connect's schema.registry.request.timeout.ms and schema.registry.cache.capacity. Settings of
// other components are ignored; an unknown registry setting (schema.registry.*, basic.auth.*,
// bearer.auth.*) or an invalid value is an errclass.BadConfig error naming it.
func ConfigFromProps(props map[string]string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(props[k]) }
	var c Config
	c.URL = get(URLProp)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !IsRegistryProp(k) {
			continue
		}
		if i := sort.SearchStrings(sortedKnown, k); i == len(sortedKnown) || sortedKnown[i] != k {
			return Config{}, errclass.Config(k, "unknown schema registry setting (known: %s)", strings.Join(sortedKnown, ", "))
		}
	}

	basicSource := strings.ToUpper(get(BasicAuthSourceProp))
	userInfo := props[BasicAuthUserInfoProp]
	if userInfo == "" {
		userInfo = props[LegacyUserInfoProp]
	}
	switch basicSource {
	case "", "USER_INFO":
		if userInfo != "" {
			if !strings.Contains(userInfo, ":") {
				return Config{}, errclass.Config(BasicAuthUserInfoProp, "must be user:password")
			}
			c.BasicAuth = userInfo
		} else if basicSource == "USER_INFO" {
			return Config{}, errclass.Config(BasicAuthUserInfoProp, "required with %s=USER_INFO", BasicAuthSourceProp)
		}
	case "URL":
		// Credentials come from the URL's user info (used by New when BasicAuth is empty).
		urls, err := c.urls()
		if err != nil {
			return Config{}, err
		}
		if len(urls) == 0 || urls[0].User == nil {
			return Config{}, errclass.Config(URLProp, "has no user:password@ although %s=URL", BasicAuthSourceProp)
		}
	default:
		return Config{}, errclass.Config(BasicAuthSourceProp, "unsupported value %q (USER_INFO or URL)", props[BasicAuthSourceProp])
	}

	switch strings.ToUpper(get(BearerAuthSourceProp)) {
	case "", "STATIC_TOKEN":
		c.BearerToken = get(BearerAuthTokenProp)
		if c.BearerToken == "" && get(BearerAuthSourceProp) != "" {
			return Config{}, errclass.Config(BearerAuthTokenProp, "required with %s=STATIC_TOKEN", BearerAuthSourceProp)
		}
	default:
		return Config{}, errclass.Config(BearerAuthSourceProp, "unsupported value %q (STATIC_TOKEN)", props[BearerAuthSourceProp])
	}

	for _, k := range []string{TruststoreTypeProp, KeystoreTypeProp} {
		if v := get(k); v != "" && !strings.EqualFold(v, "PEM") {
			return Config{}, errclass.Config(k, "only PEM files are supported, got %q", v)
		}
	}
	c.TLS.CAFile = get(TruststoreLocationProp)
	c.TLS.CertFile = get(KeystoreLocationProp)
	c.TLS.KeyFile = get(KeyLocationProp)
	if v, ok := props[EndpointIdentificationAlg]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "":
			c.TLS.SkipHostnameVerification = true
		case "https":
		default:
			return Config{}, errclass.Config(EndpointIdentificationAlg, "must be https or empty, got %q", v)
		}
	}
	if v := get(RequestTimeoutProp); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			return Config{}, errclass.Config(RequestTimeoutProp, "must be a non-negative integer (milliseconds), got %q", v)
		}
		c.Timeout = time.Duration(ms) * time.Millisecond
	}
	if v := get(CacheCapacityProp); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Config{}, errclass.Config(CacheCapacityProp, "must be a non-negative integer, got %q", v)
		}
		c.CacheCapacity = n
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

var sortedKnown = func() []string {
	s := append([]string(nil), known...)
	sort.Strings(s)
	return s
}()

// String describes the configuration without secrets.
func (c Config) String() string {
	auth := "none"
	switch {
	case c.BasicAuth != "":
		auth = "basic"
	case c.BearerToken != "":
		auth = "bearer"
	}
	var urls []string
	for _, u := range strings.Split(c.URL, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, redact(u))
		}
	}
	return fmt.Sprintf("schema registry %s (auth %s)", strings.Join(urls, ","), auth)
}
