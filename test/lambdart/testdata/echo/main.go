// Command echo is a Lambda function for lambdart's tests, built on aws-lambda-go. It answers an
// event {"echo": X} with X and what the runtime told it (request ID, function ARN, deadline, trace
// ID); {"error": "msg"} makes it return an error, {"panic": "msg"} panic, and {"sleep_ms": N}
// sleep first. With ECHO_INIT_ERROR set it reports that message to /runtime/init/error and exits 1,
// as a runtime whose initialisation failed does.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Echo    json.RawMessage `json:"echo"`
	Error   string          `json:"error"`
	Panic   string          `json:"panic"`
	SleepMs int             `json:"sleep_ms"`
}

type reply struct {
	Echo        json.RawMessage `json:"echo"`
	RequestID   string          `json:"request_id"`
	FunctionARN string          `json:"function_arn"`
	DeadlineMs  int64           `json:"deadline_ms"`
	TraceID     string          `json:"trace_id"`
}

// echoError is the error type the function returns; aws-lambda-go reports its name as errorType.
type echoError struct{ msg string }

func (e *echoError) Error() string { return e.msg }

func handle(ctx context.Context, ev event) (reply, error) {
	if ev.SleepMs > 0 {
		time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
	}
	if ev.Panic != "" {
		panic(ev.Panic)
	}
	if ev.Error != "" {
		return reply{}, &echoError{ev.Error}
	}
	r := reply{Echo: ev.Echo}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.RequestID, r.FunctionARN = lc.AwsRequestID, lc.InvokedFunctionArn
	}
	if d, ok := ctx.Deadline(); ok {
		r.DeadlineMs = d.UnixMilli()
	}
	r.TraceID, _ = ctx.Value("x-amzn-trace-id").(string)
	return r, nil
}

func main() {
	if msg := os.Getenv("ECHO_INIT_ERROR"); msg != "" {
		body, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": "Runtime.InitError"})
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		fmt.Fprintln(os.Stderr, "echo:", msg)
		os.Exit(1)
	}
	lambda.Start(handle)
}
