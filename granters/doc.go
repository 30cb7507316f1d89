// Package granters holds the three routes to co-host, each a grant.Granter
// (docs/architecture.md):
//
//   - Agent ("agent") asks the co-host agent, a Meeting SDK app sitting in the
//     meeting as its host, to make the joiner a real co-host;
//   - Permissions ("permissions") gives every joiner the abilities a co-host
//     has that Zoom lets a host hand to all participants, through the host's
//     user settings and the meeting's settings, snapshotted before and
//     restored after (docs/permissions.md);
//   - AlternativeHosts ("alternative-hosts") adds signed-in licensed users of
//     the meeting's account to its alternative hosts, in batches within
//     Zoom's 100 meeting updates a day, which makes them host or co-host the
//     next time they join.
//
// The engine calls them in COHOST_GRANTERS order until one grants. What a
// route cannot do is reported as such (a skipped or failed grant with its
// reason, a granter detail, a log line), never faked.
package granters
