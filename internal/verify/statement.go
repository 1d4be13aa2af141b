package verify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hallmark-dev/hallmark/internal/attest"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// checkStatement applies the predicate type and provenance expectations to
// a verified statement.
func checkStatement(st *intoto.Statement, o Options) error {
	if o.PredicateType != "" {
		want, err := attest.PredicateType(o.PredicateType)
		if err != nil {
			return err
		}
		if got := st.GetPredicateType(); got != want {
			return fail(CheckPredicateType, "predicate type is %q, want %q", got, want)
		}
	}
	if o.SourceURI == "" && o.SourceDigest == "" && o.BuilderID == "" {
		return nil
	}
	p, err := readProvenance(st)
	if err != nil {
		return err
	}
	if o.BuilderID != "" && p.builderID != o.BuilderID {
		return fail(CheckProvenance, "builder id is %q, want %q", p.builderID, o.BuilderID)
	}
	if o.SourceURI != "" && !slices.ContainsFunc(p.sources, func(s source) bool { return sameRepo(s.uri, o.SourceURI) }) {
		return fail(CheckProvenance, "source %q is not among the build's sources (%s)", o.SourceURI, p.sourceList())
	}
	if o.SourceDigest != "" {
		alg, val, ok := strings.Cut(o.SourceDigest, ":")
		if !ok {
			alg, val = "", o.SourceDigest
		}
		match := func(s source) bool {
			if o.SourceURI != "" && !sameRepo(s.uri, o.SourceURI) {
				return false
			}
			for a, d := range s.digest {
				if strings.EqualFold(d, val) && (alg == "" || a == alg || (alg == "sha1" && a == "gitCommit") || (alg == "gitCommit" && a == "sha1")) {
					return true
				}
			}
			return false
		}
		if !slices.ContainsFunc(p.sources, match) {
			return fail(CheckProvenance, "no source of the build has digest %s (%s)", o.SourceDigest, p.sourceList())
		}
	}
	return nil
}

type source struct {
	uri    string
	digest map[string]string
}

type provenanceFacts struct {
	builderID string
	sources   []source
}

func (p provenanceFacts) sourceList() string {
	var s []string
	for _, src := range p.sources {
		d := ""
		for a, v := range src.digest {
			d = fmt.Sprintf(" %s:%s", a, v)
			break
		}
		s = append(s, src.uri+d)
	}
	if len(s) == 0 {
		return "none recorded"
	}
	return strings.Join(s, ", ")
}

// readProvenance reads the builder and sources of SLSA Provenance v1
// (runDetails.builder.id, buildDefinition.resolvedDependencies) or v0.2
// (builder.id, materials, invocation.configSource).
func readProvenance(st *intoto.Statement) (provenanceFacts, error) {
	raw, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return provenanceFacts{}, err
	}
	type rd struct {
		URI    string            `json:"uri"`
		Digest map[string]string `json:"digest"`
	}
	var facts provenanceFacts
	switch st.GetPredicateType() {
	case "https://slsa.dev/provenance/v1":
		var p struct {
			BuildDefinition struct {
				ResolvedDependencies []rd `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Builder struct {
					ID string `json:"id"`
				} `json:"builder"`
			} `json:"runDetails"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return facts, fail(CheckProvenance, "malformed SLSA v1 provenance: %v", err)
		}
		facts.builderID = p.RunDetails.Builder.ID
		for _, d := range p.BuildDefinition.ResolvedDependencies {
			facts.sources = append(facts.sources, source{d.URI, d.Digest})
		}
	case "https://slsa.dev/provenance/v0.2":
		var p struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
			Invocation struct {
				ConfigSource rd `json:"configSource"`
			} `json:"invocation"`
			Materials []rd `json:"materials"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return facts, fail(CheckProvenance, "malformed SLSA v0.2 provenance: %v", err)
		}
		facts.builderID = p.Builder.ID
		if cs := p.Invocation.ConfigSource; cs.URI != "" {
			facts.sources = append(facts.sources, source{cs.URI, cs.Digest})
		}
		for _, m := range p.Materials {
			facts.sources = append(facts.sources, source{m.URI, m.Digest})
		}
	default:
		return facts, fail(CheckProvenance, "predicate type %q is not SLSA provenance", st.GetPredicateType())
	}
	return facts, nil
}

// sameRepo compares source URIs as people write them: "git+" prefix, "@ref"
// suffix, ".git" suffix and a trailing slash do not matter, so
// "https://github.com/sigstore/sigstore-js" matches
// "git+https://github.com/sigstore/sigstore-js@refs/heads/main". When the
// expectation itself names a ref, the refs must match too.
func sameRepo(got, want string) bool {
	g, gref := splitRepo(got)
	w, wref := splitRepo(want)
	if !strings.EqualFold(g, w) {
		return false
	}
	return wref == "" || wref == gref
}

func splitRepo(u string) (repo, ref string) {
	u = strings.TrimPrefix(u, "git+")
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		scheme, rest = "", u
	}
	// A ref follows the last "@" after the host (a user@ before the host
	// is not a ref).
	if i := strings.LastIndex(rest, "@"); i > 0 && strings.Contains(rest[:i], "/") {
		rest, ref = rest[:i], rest[i+1:]
	}
	rest = strings.TrimSuffix(strings.TrimSuffix(rest, "/"), ".git")
	if scheme != "" {
		return scheme + "://" + rest, ref
	}
	return rest, ref
}
