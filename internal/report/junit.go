package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/hallmark-dev/hallmark/internal/policy"
)

// JUnit XML, as CI systems read it (the de-facto schema of Ant's JUnit
// task and Jenkins, https://github.com/testmoapp/junitxml): a test suite
// per policy rule; a test case per violation (failing rules: <failure>;
// warnings pass with the fact on system-out; waived violations are
// <skipped> with the waiver), and one passing case for a rule without
// violations so that every rule shows up.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnit writes a policy report as JUnit XML.
func JUnit(w io.Writer, rep *policy.Report) error {
	out := junitSuites{Name: "hallmark policy " + rep.Policy}
	byRule := map[string][]policy.Violation{}
	for _, v := range rep.Violations {
		byRule[v.Rule] = append(byRule[v.Rule], v)
	}
	for _, v := range rep.Waived {
		byRule[v.Rule] = append(byRule[v.Rule], v)
	}
	for _, r := range rep.Rules {
		s := junitSuite{Name: r.ID, Timestamp: rep.Evaluated.Format("2006-01-02T15:04:05Z")}
		class := "hallmark.policy." + r.ID
		if r.NotEvaluated != "" {
			s.Cases = append(s.Cases, junitCase{Name: r.ID, ClassName: class,
				Error: &junitMessage{Message: r.NotEvaluated, Type: "not-evaluated", Text: r.NotEvaluated}})
			s.Errors++
		}
		for _, v := range byRule[r.ID] {
			c := junitCase{Name: v.Package, ClassName: class}
			if len(v.Locations) > 0 {
				c.File, c.Line = v.Locations[0].Path, v.Locations[0].Line
			}
			text := v.Fact
			if v.Fix != "" {
				text += "\nfix: " + v.Fix
			}
			if loc := locationString(v); loc != "" {
				text += "\nat " + loc
			}
			switch {
			case v.Waiver != nil:
				c.Skipped = &junitMessage{Message: "waived: " + waiverString(v.Waiver), Text: text}
				s.Skipped++
			case v.Severity == policy.Fail:
				if v.Expired != nil {
					text += fmt.Sprintf("\nexception by %s expired on %s", v.Expired.Owner, v.Expired.Expires)
				}
				c.Failure = &junitMessage{Message: v.Fact, Type: string(r.Kind), Text: text}
				s.Failures++
			default:
				c.SystemOut = "warning: " + text
			}
			s.Cases = append(s.Cases, c)
		}
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: r.ID, ClassName: class,
				SystemOut: fmt.Sprintf("%d package(s) checked, no violations", r.Packages)})
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
