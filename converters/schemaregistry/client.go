package schemaregistry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/lambda-connect/lambda-connect/core/errclass"
)

var _ Registry = (*Client)(nil)

// ContentType is the media type of the registry's requests and responses.
const ContentType = "application/vnd.schemaregistry.v1+json"

// accept is the Accept header Confluent's client sends.
const accept = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5"

// maxBody bounds a response body.
const maxBody = 32 << 20

// Client is a Confluent Schema Registry client. It implements Registry; schemas are cached by id
// and registrations and lookups by (subject, schema), so that a schema is fetched once per id
// however many records carry it and however many goroutines ask at once. Latest, Versions,
// Subjects and the compatibility calls are not cached. It is safe for concurrent use.
type Client struct {
	cfg     Config
	urls    []*url.URL
	current atomic.Int32 // index of the URL that answered last
	hc      *http.Client
	auth    func(*http.Request)
	authSet string // the setting naming the credentials, for 401/403 errors

	byID     *cache[int, Schema]
	bySchema *cache[schemaKey, Schema] // Register and Lookup results
}

// schemaKey identifies a schema under a subject; lookup separates Lookup results (which carry a
// version) from Register ones.
type schemaKey struct {
	subject, typ, text, refs string
	lookup                   bool
}

func keyOf(subject string, s Schema, lookup bool) schemaKey {
	k := schemaKey{subject: subject, typ: normType(s.Type), text: s.Schema, lookup: lookup}
	if len(s.References) > 0 {
		b, _ := json.Marshal(s.References)
		k.refs = string(b)
	}
	return k
}

func normType(t string) string {
	if t == "" {
		return Avro
	}
	return strings.ToUpper(t)
}

// New returns a client for cfg (validated first).
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	urls, _ := cfg.urls()
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.CacheCapacity == 0 {
		cfg.CacheCapacity = DefaultCacheCapacity
	}
	tlsConf, err := cfg.TLS.config()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	tr.MaxIdleConnsPerHost = 16
	c := &Client{
		cfg:      cfg,
		urls:     urls,
		hc:       &http.Client{Transport: tr, Timeout: cfg.Timeout},
		byID:     newCache[int, Schema](cfg.CacheCapacity),
		bySchema: newCache[schemaKey, Schema](cfg.CacheCapacity),
	}
	switch {
	case cfg.BearerToken != "":
		token := cfg.BearerToken
		c.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
		c.authSet = BearerAuthTokenProp
	case cfg.BasicAuth != "":
		user, pass, _ := strings.Cut(cfg.BasicAuth, ":")
		c.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
		c.authSet = BasicAuthUserInfoProp
	case urls[0].User != nil:
		pass, _ := urls[0].User.Password()
		user := urls[0].User.Username()
		c.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
		c.authSet = URLProp
	default:
		c.authSet = BasicAuthUserInfoProp
	}
	for _, u := range c.urls {
		u.User = nil
	}
	return c, nil
}

// config builds the tls.Config (nil when nothing is set).
func (t TLS) config() (*tls.Config, error) {
	if t == (TLS{}) {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, errclass.New(errclass.BadConfig, TruststoreLocationProp, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errclass.Config(TruststoreLocationProp, "%s holds no PEM certificate", t.CAFile)
		}
		conf.RootCAs = pool
	}
	if t.CertFile != "" {
		keyFile := t.KeyFile
		if keyFile == "" {
			keyFile = t.CertFile
		}
		cert, err := tls.LoadX509KeyPair(t.CertFile, keyFile)
		if err != nil {
			return nil, errclass.New(errclass.BadConfig, KeystoreLocationProp, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	if t.SkipHostnameVerification && !t.InsecureSkipVerify {
		// Verify the chain, not the name.
		roots := conf.RootCAs
		conf.InsecureSkipVerify = true
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("schema registry presented no certificate")
			}
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	}
	return conf, nil
}

// Config returns the client's configuration, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// SchemaByID returns the schema registered under id (GET /schemas/ids/{id}), fetched once and
// cached. An unknown id is an ErrNotFound error classified BadRecord.
func (c *Client) SchemaByID(ctx context.Context, id int) (Schema, error) {
	return c.byID.get(ctx, id, func() (Schema, error) {
		var s Schema
		if err := c.do(ctx, http.MethodGet, "/schemas/ids/"+strconv.Itoa(id), nil, &s); err != nil {
			return Schema{}, c.classify(fmt.Sprintf("schema id %d", id), err)
		}
		s.ID = id
		s.Type = normType(s.Type)
		return s, nil
	})
}

// Register registers s under subject, or finds it if already registered, and returns its id
// (POST /subjects/{subject}/versions); cached by (subject, schema).
func (c *Client) Register(ctx context.Context, subject string, s Schema) (int, error) {
	got, err := c.bySchema.get(ctx, keyOf(subject, s, false), func() (Schema, error) {
		var resp struct {
			ID int `json:"id"`
		}
		if err := c.do(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject)+"/versions", request(s), &resp); err != nil {
			return Schema{}, c.classify("subject "+subject, err)
		}
		out := s
		out.ID, out.Subject, out.Type = resp.ID, subject, normType(s.Type)
		return out, nil
	})
	if err != nil {
		return 0, err
	}
	c.prime(got)
	return got.ID, nil
}

// Lookup returns the id and version of s under subject without registering it (POST
// /subjects/{subject}); cached by (subject, schema). A schema or subject the registry does not
// know is an ErrNotFound error classified BadRecord.
func (c *Client) Lookup(ctx context.Context, subject string, s Schema) (Schema, error) {
	got, err := c.bySchema.get(ctx, keyOf(subject, s, true), func() (Schema, error) {
		var out Schema
		if err := c.do(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject), request(s), &out); err != nil {
			return Schema{}, c.classify("subject "+subject, err)
		}
		if out.Subject == "" {
			out.Subject = subject
		}
		if out.Schema == "" {
			out.Schema = s.Schema
		}
		out.Type = normType(out.Type)
		return out, nil
	})
	if err != nil {
		return Schema{}, err
	}
	c.prime(got)
	return got, nil
}

// prime caches a schema learnt from a registration by its id.
func (c *Client) prime(s Schema) {
	if s.ID == 0 {
		return
	}
	if _, ok := c.byID.peek(s.ID); !ok {
		c.byID.put(s.ID, Schema{ID: s.ID, Type: s.Type, Schema: s.Schema, References: s.References})
	}
}

// Latest returns the latest version under subject (GET /subjects/{subject}/versions/latest). It
// is not cached: callers that use it per record cache it themselves.
func (c *Client) Latest(ctx context.Context, subject string) (Schema, error) {
	return c.version(ctx, subject, "latest")
}

// Version returns one version under subject (GET /subjects/{subject}/versions/{version}).
func (c *Client) Version(ctx context.Context, subject string, version int) (Schema, error) {
	return c.version(ctx, subject, strconv.Itoa(version))
}

func (c *Client) version(ctx context.Context, subject, version string) (Schema, error) {
	var s Schema
	if err := c.do(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions/"+version, nil, &s); err != nil {
		return Schema{}, c.classify("subject "+subject+" version "+version, err)
	}
	s.Type = normType(s.Type)
	if s.Subject == "" {
		s.Subject = subject
	}
	c.prime(s)
	return s, nil
}

// Versions lists the versions registered under subject (GET /subjects/{subject}/versions).
func (c *Client) Versions(ctx context.Context, subject string) ([]int, error) {
	var vs []int
	if err := c.do(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions", nil, &vs); err != nil {
		return nil, c.classify("subject "+subject, err)
	}
	return vs, nil
}

// Subjects lists the registry's subjects (GET /subjects).
func (c *Client) Subjects(ctx context.Context) ([]string, error) {
	var ss []string
	if err := c.do(ctx, http.MethodGet, "/subjects", nil, &ss); err != nil {
		return nil, c.classify("subjects", err)
	}
	return ss, nil
}

// CheckCompatibility reports whether s is compatible with version ("latest" or a number) of
// subject under the subject's compatibility level (POST
// /compatibility/subjects/{subject}/versions/{version}).
func (c *Client) CheckCompatibility(ctx context.Context, subject string, version string, s Schema) (bool, error) {
	var resp struct {
		IsCompatible bool `json:"is_compatible"`
	}
	if version == "" {
		version = "latest"
	}
	if err := c.do(ctx, http.MethodPost, "/compatibility/subjects/"+url.PathEscape(subject)+"/versions/"+url.PathEscape(version), request(s), &resp); err != nil {
		return false, c.classify("subject "+subject+" version "+version, err)
	}
	return resp.IsCompatible, nil
}

// Compatibility returns the compatibility level of subject (GET /config/{subject}, falling back
// to the global level), or the global level when subject is empty (GET /config).
func (c *Client) Compatibility(ctx context.Context, subject string) (string, error) {
	var resp struct {
		Level string `json:"compatibilityLevel"`
		Alt   string `json:"compatibility"`
	}
	path, what := "/config", "global compatibility"
	if subject != "" {
		path, what = "/config/"+url.PathEscape(subject)+"?defaultToGlobal=true", "subject "+subject
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &resp); err != nil {
		var e *APIError
		if subject != "" && errors.As(err, &e) && e.Status == 404 {
			// A registry that ignores defaultToGlobal: the subject has no level of its own.
			return c.Compatibility(ctx, "")
		}
		return "", c.classify(what, err)
	}
	if resp.Level == "" {
		resp.Level = resp.Alt
	}
	return resp.Level, nil
}

// SetCompatibility sets the compatibility level of subject, or the global one when subject is
// empty (PUT /config[/{subject}]).
func (c *Client) SetCompatibility(ctx context.Context, subject, level string) error {
	path, what := "/config", "global compatibility"
	if subject != "" {
		path, what = "/config/"+url.PathEscape(subject), "subject "+subject
	}
	body := map[string]string{"compatibility": level}
	if err := c.do(ctx, http.MethodPut, path, body, nil); err != nil {
		return c.classify(what, err)
	}
	return nil
}

// request is the body of a registration, lookup or compatibility check: schemaType is omitted for
// Avro, as Confluent's client does.
func request(s Schema) any {
	type body struct {
		Schema     string      `json:"schema"`
		Type       string      `json:"schemaType,omitempty"`
		References []Reference `json:"references,omitempty"`
	}
	b := body{Schema: s.Schema, References: s.References}
	if t := normType(s.Type); t != Avro {
		b.Type = t
	}
	return b
}

// do sends one request, trying the configured URLs in turn while they are unreachable, and
// decodes a 2xx answer into out. Non-2xx answers are *APIError.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return err
		}
	}
	start := int(c.current.Load())
	var lastErr error
	for i := range c.urls {
		idx := (start + i) % len(c.urls)
		err := c.once(ctx, c.urls[idx], method, path, payload, out)
		var apiErr *APIError
		if err == nil || errors.As(err, &apiErr) || ctx.Err() != nil {
			if err == nil || apiErr != nil {
				c.current.Store(int32(idx))
			}
			return err
		}
		lastErr = err
	}
	return lastErr
}

func (c *Client) once(ctx context.Context, base *url.URL, method, path string, payload []byte, out any) error {
	target := strings.TrimSuffix(base.String(), "/") + path
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	if payload != nil {
		req.Header.Set("Content-Type", ContentType)
	}
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("schema registry %s %s: %w", method, base.Redacted()+path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("schema registry %s %s: reading the response: %w", method, base.Redacted()+path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{Method: method, Path: path, Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || (e.Code == 0 && e.Msg == "") {
			e.Code = resp.StatusCode
			e.Msg = strings.TrimSpace(string(bytes.ToValidUTF8(data[:min(len(data), 512)], nil)))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Code: 0, Msg: "undecodable response: " + err.Error()}
	}
	return nil
}

// classify gives a registry error its class: 401/403 BadConfig naming the credentials; 5xx,
// 429, 408 and transport failures Retriable; other 4xx (not found, incompatible, invalid)
// BadRecord.
func (c *Client) classify(subject string, err error) error {
	var e *APIError
	if !errors.As(err, &e) {
		return errclass.New(errclass.Retriable, subject, err)
	}
	switch {
	case e.Status == 401 || e.Status == 403:
		return errclass.New(errclass.BadConfig, c.authSet, fmt.Errorf("%s: %w", subject, err))
	case e.Status >= 500, e.Status == 429, e.Status == 408, e.Status < 400:
		return errclass.New(errclass.Retriable, subject, err)
	default:
		return errclass.New(errclass.BadRecord, subject, err)
	}
}
