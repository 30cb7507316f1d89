package granters

import (
	"fmt"
	"strconv"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// zoomFor returns the client acting for the meeting's account.
func zoomFor(zc *zoomclient.Client, accountID string) *zoomclient.Client {
	if accountID == "" || accountID == zc.AccountID() {
		return zc
	}
	return zc.Account(accountID)
}

// meetingNumber is the meeting's number as Zoom's REST paths and the agent
// contract take it.
func meetingNumber(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonInternal, Message: fmt.Sprintf("meeting id %q is not a Zoom meeting number", id)}
	}
	return n, nil
}
