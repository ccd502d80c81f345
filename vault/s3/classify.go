package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/doricdb/doric/vault"
)

// permissionCodes are S3 error codes that mean the credentials or the policy refuse the request.
var permissionCodes = map[string]bool{
	"AccessDenied": true, "AllAccessDisabled": true, "InvalidAccessKeyId": true,
	"SignatureDoesNotMatch": true, "ExpiredToken": true, "InvalidToken": true,
	"TokenRefreshRequired": true, "AccountProblem": true, "InvalidSecurity": true,
}

// classify wraps an SDK error with the vault sentinel of its class (the original error stays in
// the chain and the message). nil stays nil; context errors pass unchanged.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	return classifyCode(code, status, err)
}

func classifyCode(code string, status int, err error) error {
	var class error
	switch {
	case code == "NoSuchKey" || code == "NotFound" || (status == 404 && code != "NoSuchBucket" && code != "NoSuchUpload"):
		class = vault.ErrNotFound
	case code == "InvalidRange" || status == 416:
		class = vault.ErrOutOfRange
	case permissionCodes[code] || status == 403:
		class = vault.ErrPermission
	case status == 503 || status == 429 || isThrottleCode(code) || retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool():
		class = vault.ErrThrottled
	case code == "InternalError" || code == "ServiceUnavailable" ||
		retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool():
		class = vault.ErrUnavailable
	default:
		return err
	}
	return fmt.Errorf("%w: %w", class, err)
}

func isThrottleCode(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}
