package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/schematest"
)

// Packages that could not be checked are never silence: in SARIF they are
// tool execution notifications (not results: they are not findings), and
// the run's properties carry the counts. The log validates against the
// official SARIF 2.1.0 schema.
func TestSARIFUncheckedAndSDK(t *testing.T) {
	res := scanResult()
	res.SDK = []match.SDKPackage{{PackageID: res.Unchecked[0].PackageID, SDK: "flutter", Reason: "provided by the flutter SDK; the lockfile states no SDK version: not checked"}}
	var buf bytes.Buffer
	if err := SARIF(&buf, res, SARIFOptions{ToolVersion: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, "sarif-2.1.0.schema.json", "SARIF", buf.Bytes())
	var log struct {
		Runs []struct {
			Invocations []struct {
				Notifications []struct {
					Level   string                `json:"level"`
					Message struct{ Text string } `json:"message"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Properties map[string]Summary `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	n := log.Runs[0].Invocations[0].Notifications
	if len(n) != 2 || n[0].Level != "warning" || !strings.Contains(n[0].Message.Text, "was not checked: version") || !strings.Contains(n[1].Message.Text, "flutter SDK") {
		t.Errorf("notifications = %+v", n)
	}
	if s := log.Runs[0].Properties["hallmark/summary"]; s.Unchecked != 1 || s.SDK != 1 {
		t.Errorf("summary = %+v", s)
	}
}
