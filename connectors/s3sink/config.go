package s3sink

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/projection"
)

// Config is the S3 sink's configuration. ConfigFrom fills it from parsed settings; a Config built
// by hand must pass Validate (New checks it). Class-valued fields accept the long or the short
// class names.
type Config struct {
	Bucket    string // s3.bucket.name
	Region    string // s3.region; "" for the SDK's (AWS_REGION)
	Endpoint  string // store.url; "" for the SDK's (AWS_ENDPOINT_URL_S3) or AWS S3
	PathStyle bool   // s3.path.style.access.enabled

	TopicsDir      string // topics.dir
	DirectoryDelim string // directory.delim
	FileDelim      string // file.delim
	OffsetPadWidth int    // filename.offset.zero.pad.width

	Format             string // format.class
	JSONDecimalFormat  string // json.decimal.format: BASE64 or NUMERIC
	ByteArrayExtension string // format.bytearray.extension
	ByteArraySeparator []byte // format.bytearray.separator, escapes decoded
	FlushSize          int    // flush.size
	Compression        string // s3.compression.type: none or gzip
	CompressionLevel   int    // s3.compression.level: -1 (default) to 9
	ParquetCodec       string // parquet.codec: none, snappy (default), gzip, zstd
	AvroCodec          string // avro.codec: null (default), deflate, snappy, zstandard

	// SchemaCompatibility is schema.compatibility: NONE (default), BACKWARD, FORWARD or FULL.
	SchemaCompatibility string

	Partitioner        string   // partitioner.class
	PartitionFields    []string // partition.field.name
	PathFormat         string   // path.format
	PartitionDuration  int64    // partition.duration.ms
	Locale             string   // locale
	Timezone           string   // timezone
	TimestampExtractor string   // timestamp.extractor
	TimestampField     string   // timestamp.field

	NullValues         string // behavior.on.null.values: fail, ignore or write
	TombstonePartition string // tombstone.encoded.partition
	ConditionalWrites  bool   // s3.conditional.writes.enabled

	// Now is the clock of the Wallclock timestamp extractor; nil is time.Now.
	Now func() time.Time
}

// ConfigFrom reads the S3 sink's settings from c, parsed with Spec, and checks the rules that span
// several settings (a TimeBasedPartitioner needs path.format, partition.duration.ms, locale and
// timezone; a FieldPartitioner needs partition.field.name; ...). Every problem is reported in one
// errclass.BadConfig error wrapping config.Problems, which names the settings concerned.
func ConfigFrom(c *config.Config) (Config, error) {
	cfg := Config{
		Bucket:              c.String(KeyBucket),
		Region:              c.String(KeyRegion),
		Endpoint:            c.String(KeyStoreURL),
		PathStyle:           c.Bool(KeyPathStyle),
		TopicsDir:           c.String(KeyTopicsDir),
		DirectoryDelim:      c.String(KeyDirectoryDelim),
		FileDelim:           c.String(KeyFileDelim),
		OffsetPadWidth:      c.Int(KeyOffsetPadWidth),
		Format:              c.String(KeyFormatClass),
		JSONDecimalFormat:   c.String(KeyJSONDecimalFormat),
		ByteArrayExtension:  c.String(KeyByteArrayExtension),
		FlushSize:           c.Int(KeyFlushSize),
		Compression:         c.String(KeyCompressionType),
		CompressionLevel:    c.Int(KeyCompressionLevel),
		ParquetCodec:        c.String(KeyParquetCodec),
		AvroCodec:           c.String(KeyAvroCodec),
		SchemaCompatibility: c.String(KeySchemaCompatibility),
		Partitioner:         c.String(KeyPartitionerClass),
		PartitionFields:     c.List(KeyPartitionFieldName),
		PathFormat:          c.String(KeyPathFormat),
		PartitionDuration:   c.Long(KeyPartitionDurationMs),
		Locale:              c.String(KeyLocale),
		Timezone:            c.String(KeyTimezone),
		TimestampExtractor:  c.String(KeyTimestampExtractor),
		TimestampField:      c.String(KeyTimestampField),
		NullValues:          c.String(KeyBehaviorOnNullValues),
		TombstonePartition:  c.String(KeyTombstonePartition),
		ConditionalWrites:   c.Bool(KeyConditionalWrites),
	}
	var probs config.Problems
	sep, err := Unescape(c.String(KeyByteArraySeparator))
	if err != nil {
		probs = append(probs, config.Problem{Key: KeyByteArraySeparator, Message: fmt.Sprintf("%v (got %q)", err, c.String(KeyByteArraySeparator))})
	}
	cfg.ByteArraySeparator = []byte(sep)
	if _, err := cfg.resolve(); err != nil {
		var more config.Problems
		if !errors.As(err, &more) {
			return Config{}, err
		}
		probs = append(probs, more...)
	}
	if len(probs) > 0 {
		return Config{}, errclass.New(errclass.BadConfig, "s3-sink configuration", probs)
	}
	return cfg, nil
}

// Validate checks every setting and the rules between them, and reports every problem in one
// errclass.BadConfig error wrapping config.Problems.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolved is a valid configuration ready for use: canonical class names, the parsed path format
// and time zone.
type resolved struct {
	Config
	pathFormat pathFormat
	loc        *time.Location
	mode       projection.Mode
}

// resolve validates c and prepares what the sink needs.
func (c Config) resolve() (*resolved, error) {
	r := &resolved{Config: c}
	var probs config.Problems
	add := func(key, format string, args ...any) {
		probs = append(probs, config.Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if c.Bucket == "" {
		add(KeyBucket, "required setting is empty")
	}
	if err := validateURL(c.Endpoint); err != nil {
		add(KeyStoreURL, "%v (got %q)", err, c.Endpoint)
	}
	if c.DirectoryDelim == "" {
		add(KeyDirectoryDelim, "must not be empty")
	} else if c.TopicsDir != "" && (strings.HasPrefix(c.TopicsDir, c.DirectoryDelim) || strings.HasSuffix(c.TopicsDir, c.DirectoryDelim)) {
		add(KeyTopicsDir, "must not start or end with %s %q (got %q)", KeyDirectoryDelim, c.DirectoryDelim, c.TopicsDir)
	}
	if c.FileDelim == "" {
		add(KeyFileDelim, "must not be empty")
	}
	if c.OffsetPadWidth < 0 || c.OffsetPadWidth > 19 {
		add(KeyOffsetPadWidth, "must be between 0 and 19 (got %d)", c.OffsetPadWidth)
	}
	if f, ok := formatAliases[c.Format]; ok {
		r.Format = f
	} else {
		add(KeyFormatClass, "%q is not a supported format (%s)", c.Format, strings.Join(shortClasses(formatClasses()), ", "))
	}
	if _, err := parquetCodec(c.ParquetCodec); err != nil {
		add(KeyParquetCodec, "%v", err)
	}
	if r.AvroCodec == "" {
		r.AvroCodec = AvroCodecNull
	}
	if !validAvroCodec(r.AvroCodec) {
		add(KeyAvroCodec, "%q is not one of %s", c.AvroCodec, strings.Join(avroCodecs, ", "))
	}
	if m, err := projection.ParseMode(c.SchemaCompatibility); err != nil {
		add(KeySchemaCompatibility, "%v", err)
	} else {
		r.mode = m
	}
	if (r.Format == ParquetFormatClass || r.Format == AvroFormatClass) && c.Compression == CompressionGzip {
		add(KeyCompressionType, "gzip applies to JsonFormat and ByteArrayFormat; %s compresses inside the file (set %s)", shortClass(r.Format), map[bool]string{true: KeyParquetCodec, false: KeyAvroCodec}[r.Format == ParquetFormatClass])
	}
	switch c.JSONDecimalFormat {
	case "BASE64", "NUMERIC":
	case "":
		r.JSONDecimalFormat = "BASE64"
	default:
		add(KeyJSONDecimalFormat, "%q is not one of BASE64, NUMERIC", c.JSONDecimalFormat)
	}
	if c.FlushSize < 1 {
		add(KeyFlushSize, "must be at least 1 (got %d)", c.FlushSize)
	}
	switch c.Compression {
	case CompressionNone, CompressionGzip:
	case "":
		r.Compression = CompressionNone
	default:
		add(KeyCompressionType, "%q is not one of none, gzip", c.Compression)
	}
	if c.CompressionLevel < -1 || c.CompressionLevel > 9 {
		add(KeyCompressionLevel, "must be between -1 and 9 (got %d)", c.CompressionLevel)
	}
	switch c.NullValues {
	case NullFail, NullIgnore, NullWrite:
	case "":
		r.NullValues = NullFail
	default:
		add(KeyBehaviorOnNullValues, "%q is not one of fail, ignore, write", c.NullValues)
	}
	if r.NullValues == NullWrite && (r.Format == ParquetFormatClass || r.Format == AvroFormatClass) {
		add(KeyBehaviorOnNullValues, "write is not supported with %s, whose files hold records of one schema: use fail or ignore", shortClass(r.Format))
	}
	if r.NullValues == NullWrite && c.TombstonePartition == "" {
		add(KeyTombstonePartition, "must not be empty with %s=write", KeyBehaviorOnNullValues)
	}

	p, ok := partitionerAliases[c.Partitioner]
	if !ok && c.Partitioner == "" {
		p, ok = DefaultPartitionerClass, true
	}
	r.Partitioner = p
	switch {
	case !ok:
		add(KeyPartitionerClass, "%q is not a supported partitioner (DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner, HourlyPartitioner, DailyPartitioner)", c.Partitioner)
	case p == FieldPartitionerClass:
		if len(c.PartitionFields) == 0 {
			add(KeyPartitionFieldName, "is required by the FieldPartitioner: name the value fields to partition by")
		}
		for _, f := range c.PartitionFields {
			if f == "" {
				add(KeyPartitionFieldName, "has an empty field name (got %q)", strings.Join(c.PartitionFields, ","))
				break
			}
		}
	case p == TimeBasedPartitionerClass || p == HourlyPartitionerClass || p == DailyPartitionerClass:
		r.resolveTime(add)
	}
	if len(probs) > 0 {
		return nil, errclass.New(errclass.BadConfig, "s3-sink configuration", probs)
	}
	return r, nil
}

// resolveTime checks and prepares the settings of the time-based partitioners, as Confluent's
// TimeBasedPartitioner.configure does.
func (r *resolved) resolveTime(add func(key, format string, args ...any)) {
	c := r.Config
	delim := c.DirectoryDelim
	switch r.Partitioner {
	case HourlyPartitionerClass:
		r.PathFormat = "'year'=YYYY" + delim + "'month'=MM" + delim + "'day'=dd" + delim + "'hour'=HH"
		r.PartitionDuration = int64(time.Hour / time.Millisecond)
	case DailyPartitionerClass:
		r.PathFormat = "'year'=YYYY" + delim + "'month'=MM" + delim + "'day'=dd"
		r.PartitionDuration = int64(24 * time.Hour / time.Millisecond)
	default:
		if r.PartitionDuration <= 0 {
			add(KeyPartitionDurationMs, "is required by the TimeBasedPartitioner: a positive number of ms (got %d)", c.PartitionDuration)
		}
		if strings.TrimSpace(r.PathFormat) == "" || r.PathFormat == delim {
			add(KeyPathFormat, "is required by the TimeBasedPartitioner, for example 'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH")
			r.PathFormat = ""
		} else if delim != "" && strings.HasSuffix(r.PathFormat, delim) {
			r.PathFormat = strings.TrimSuffix(r.PathFormat, delim) // as Confluent does
		}
	}
	if r.PathFormat != "" {
		pf, err := parsePathFormat(r.PathFormat)
		if err != nil {
			add(KeyPathFormat, "%v (got %q)", err, c.PathFormat)
		} else {
			r.pathFormat = pf
			if pf.usesText() && !englishLocale(c.Locale) {
				add(KeyLocale, "%s %q writes names (months, days, eras, halfdays or zones) and only English names are supported (got %q)", KeyPathFormat, r.PathFormat, c.Locale)
			}
		}
	}
	if strings.TrimSpace(c.Locale) == "" {
		add(KeyLocale, "is required by the time-based partitioners, for example en-US")
	}
	if strings.TrimSpace(c.Timezone) == "" {
		add(KeyTimezone, "is required by the time-based partitioners, for example UTC")
	} else if loc, err := loadZone(c.Timezone); err != nil {
		add(KeyTimezone, "%v", err)
	} else {
		r.loc = loc
	}
	switch c.TimestampExtractor {
	case "":
		r.TimestampExtractor = ExtractorWallclock
	default:
		if e, ok := extractorAliases[c.TimestampExtractor]; ok {
			r.TimestampExtractor = e
		} else {
			add(KeyTimestampExtractor, "%q is not one of Wallclock, Record, RecordField", c.TimestampExtractor)
		}
	}
	if r.TimestampExtractor == ExtractorRecordField && c.TimestampField == "" {
		add(KeyTimestampField, "is required by the RecordField timestamp extractor")
	}
}

// englishLocale reports whether a locale (en, en-US, en_GB) has English names.
func englishLocale(l string) bool {
	l = strings.ToLower(strings.TrimSpace(l))
	return l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_")
}

// loadZone resolves a time zone as Joda-Time's DateTimeZone.forID does: "UTC", an IANA name or a
// fixed offset (+hh, +hh:mm, +hhmm).
func loadZone(id string) (*time.Location, error) {
	id = strings.TrimSpace(id)
	if id == "UTC" {
		return time.UTC, nil
	}
	if id != "" && (id[0] == '+' || id[0] == '-') {
		if off, ok := parseOffset(id[1:]); ok {
			if id[0] == '-' {
				off = -off
			}
			if off == 0 {
				return time.UTC, nil
			}
			return time.FixedZone(formatOffset(off, true), off), nil
		}
		return nil, fmt.Errorf("%q is not a time zone offset (+hh:mm)", id)
	}
	if id == "Local" {
		return nil, fmt.Errorf("%q is not a time zone: name one, such as UTC or Europe/Paris", id)
	}
	loc, err := time.LoadLocation(id)
	if err != nil {
		return nil, fmt.Errorf("%q is not a known time zone (an IANA name such as Europe/Paris, or an offset such as +05:30)", id)
	}
	return loc, nil
}

// parseOffset parses hh, hh:mm or hhmm into seconds (at most 23:59).
func parseOffset(s string) (int, bool) {
	var hh, mm string
	switch {
	case len(s) == 2:
		hh = s
	case len(s) == 5 && s[2] == ':':
		hh, mm = s[:2], s[3:]
	case len(s) == 4:
		hh, mm = s[:2], s[2:]
	default:
		return 0, false
	}
	h, err := strconv.Atoi(hh)
	if err != nil || h > 23 || hh[0] == '+' || hh[0] == '-' {
		return 0, false
	}
	m := 0
	if mm != "" {
		if m, err = strconv.Atoi(mm); err != nil || m > 59 || mm[0] == '+' || mm[0] == '-' {
			return 0, false
		}
	}
	return h*3600 + m*60, true
}

// formatOffset formats an offset in seconds as +hh:mm (colon) or +hhmm.
func formatOffset(off int, colon bool) string {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b := []byte{sign}
	b = appendPadded(b, int64(off/3600), 2)
	if colon {
		b = append(b, ':')
	}
	b = appendPadded(b, int64(off/60%60), 2)
	return string(b)
}

// Unescape decodes the backslash escapes of a format.bytearray.separator value: \n, \r, \t, \\,
// \0, \b, \f and \uXXXX. Other characters stand for themselves.
func Unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf(`ends with a lone backslash (write \\ for one)`)
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '0':
			b.WriteByte(0)
		case '\\':
			b.WriteByte('\\')
		case 'u':
			if i+4 >= len(s) {
				return "", fmt.Errorf(`\u needs four hex digits`)
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil || !utf8.ValidRune(rune(n)) {
				return "", fmt.Errorf(`\u%s is not a character`, s[i+1:i+5])
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return "", fmt.Errorf(`unknown escape \%c (use \n, \r, \t, \\, \0, \b, \f or \uXXXX)`, s[i])
		}
	}
	return b.String(), nil
}

func shortClasses(cs []string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = shortClass(c)
	}
	return out
}
