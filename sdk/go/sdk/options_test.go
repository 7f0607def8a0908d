package sdk_test

import (
	"context"
	"testing"
	"time"

	"tasks-executor/sdk/go/sdk"
)

// A negative option was taken as its default, saying nothing (a Concurrency of -1 served one task
// at a time, a CallTimeout of -1 s waited 30 s), as was a MaxPollInterval under PollInterval: Run
// refuses each before it connects, naming it as the manager names a field.
func TestRunRefusesAnOptionItWouldHaveReplacedNamingIt(t *testing.T) {
	for _, c := range []struct {
		options sdk.Options
		want    string
	}{
		{sdk.Options{Concurrency: -1}, "sdk: Options.Concurrency: Must be 0 (the default, 1) or more, not -1"},
		{sdk.Options{PollInterval: -time.Second}, "sdk: Options.PollInterval: Must be 0 (the default, 100ms) or more, not -1s"},
		{sdk.Options{MaxPollInterval: -time.Second}, "sdk: Options.MaxPollInterval: Must be 0 (the default, 2s) or more, not -1s"},
		{sdk.Options{CallTimeout: -time.Second}, "sdk: Options.CallTimeout: Must be 0 (the default, 30s) or more, not -1s"},
		{sdk.Options{PollInterval: time.Second, MaxPollInterval: 500 * time.Millisecond},
			"sdk: Options.MaxPollInterval: Must be 0 (the default, 2s or PollInterval when longer) or at least PollInterval (1s), not 500ms"},
		{sdk.Options{MaxPollInterval: 50 * time.Millisecond},
			"sdk: Options.MaxPollInterval: Must be 0 (the default, 2s or PollInterval when longer) or at least PollInterval (100ms), not 50ms"},
	} {
		runner := sdk.NewRunner()
		runner.RegisterProcessor("never_served", &processor{})
		if err := runner.Run(context.Background(), c.options); err == nil || err.Error() != c.want {
			t.Errorf("Run(%+v): %v, want %q", c.options, err, c.want)
		}
	}
	// Options it takes reach the next check: no processor registered.
	for _, fine := range []sdk.Options{{}, {PollInterval: 5 * time.Second}, {MaxPollInterval: 100 * time.Millisecond}} {
		if err := sdk.NewRunner().Run(context.Background(), fine); err == nil || err.Error() != "sdk: no processor is registered" {
			t.Errorf("Run(%+v): %v, want the options taken", fine, err)
		}
	}
}
