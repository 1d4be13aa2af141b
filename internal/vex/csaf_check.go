package vex

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// CSAFProblem is a failed mandatory test of CSAF 2.0 section 6.1.
type CSAFProblem struct {
	// Test is the section number, e.g. "6.1.27.9".
	Test    string
	Path    string
	Message string
}

func (p CSAFProblem) String() string { return p.Test + " " + p.Path + ": " + p.Message }

// CSAFTests lists the mandatory tests CheckCSAF runs. The others need
// what a local check cannot have (6.1.11 the CWE catalogue, 6.1.12 the
// language registry) or are not implemented yet (6.1.7-6.1.10 CVSS,
// 6.1.14-6.1.17, 6.1.19, 6.1.20, 6.1.24-6.1.26, 6.1.28, 6.1.30, the
// 6.1.27 tests of other profiles).
var CSAFTests = []string{"6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.1.5", "6.1.6", "6.1.13", "6.1.18", "6.1.21",
	"6.1.22", "6.1.23", "6.1.27.4", "6.1.27.5", "6.1.27.6", "6.1.27.7", "6.1.27.8", "6.1.27.9", "6.1.27.10",
	"6.1.27.11", "6.1.29", "6.1.31", "6.1.32", "6.1.33"}

// The document as the tests read it.
type csafIn struct {
	Document struct {
		Category string `json:"category"`
		Tracking struct {
			Status          string `json:"status"`
			RevisionHistory []struct {
				Date   string `json:"date"`
				Number string `json:"number"`
			} `json:"revision_history"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree *struct {
		Branches         []csafInBranch  `json:"branches"`
		FullProductNames []csafInProduct `json:"full_product_names"`
		ProductGroups    []struct {
			GroupID    string   `json:"group_id"`
			ProductIDs []string `json:"product_ids"`
		} `json:"product_groups"`
		Relationships []struct {
			FullProductName           csafInProduct `json:"full_product_name"`
			ProductReference          string        `json:"product_reference"`
			RelatesToProductReference string        `json:"relates_to_product_reference"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities *[]csafInVuln `json:"vulnerabilities"`
}

type csafInBranch struct {
	Branches []csafInBranch `json:"branches"`
	Category string         `json:"category"`
	Name     string         `json:"name"`
	Product  *csafInProduct `json:"product"`
}

type csafInProduct struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
	Helper    *struct {
		PURL string `json:"purl"`
	} `json:"product_identification_helper"`
}

type csafInRef struct {
	Category   string   `json:"category"`
	Label      string   `json:"label"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
	GroupIDs   []string `json:"group_ids"`
}

type csafInVuln struct {
	CVE string `json:"cve"`
	IDs []struct {
		SystemName string `json:"system_name"`
		Text       string `json:"text"`
	} `json:"ids"`
	Notes []struct {
		Category string `json:"category"`
		Text     string `json:"text"`
		Title    string `json:"title"`
	} `json:"notes"`
	ProductStatus *map[string][]string `json:"product_status"`
	Remediations  []csafInRef          `json:"remediations"`
	Threats       []csafInRef          `json:"threats"`
	Flags         []csafInRef          `json:"flags"`
	Scores        []struct {
		Products []string `json:"products"`
	} `json:"scores"`
}

// readCSAF decodes a CSAF document, bounded like every VEX input.
func readCSAF(b []byte) (*csafIn, error) {
	if len(b) > limits.VEXBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalid, len(b), limits.VEXBytes)
	}
	var d csafIn
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: CSAF: %v", ErrInvalid, err)
	}
	return &d, nil
}

// CheckCSAF runs the mandatory tests of CSAF 2.0 section 6.1 listed in
// CSAFTests on a document (JSON) and returns the failures, in test order.
// It does not validate against the JSON schema: that is the schema's job
// (a schema-invalid document may pass these tests). An error means the
// bytes are not a JSON object of the CSAF shape at all.
func CheckCSAF(b []byte) ([]CSAFProblem, error) {
	d, err := readCSAF(b)
	if err != nil {
		return nil, err
	}
	c := &checker{d: d, defined: map[string]int{}, groups: map[string]int{}}
	c.run()
	sort.SliceStable(c.out, func(i, j int) bool { return testLess(c.out[i].Test, c.out[j].Test) })
	return c.out, nil
}

func testLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

type checker struct {
	d       *csafIn
	defined map[string]int // product id -> definitions
	groups  map[string]int // group id -> definitions
	members map[string][]string
	out     []CSAFProblem
}

func (c *checker) fail(test, path, format string, args ...any) {
	c.out = append(c.out, CSAFProblem{Test: test, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) run() {
	c.defineProducts()
	c.references()
	c.circular()
	c.productStatus()
	c.revisions()
	c.cves()
	c.profile()
	c.productRefs()
	c.flagsPerProduct()
}

// defineProducts collects product and group definitions (6.1.2, 6.1.5),
// checks purls (6.1.13) and version names (6.1.31).
func (c *checker) defineProducts() {
	pt := c.d.ProductTree
	if pt == nil {
		return
	}
	define := func(p csafInProduct, path string) {
		if p.ProductID != "" {
			c.defined[p.ProductID]++
			if c.defined[p.ProductID] == 2 {
				c.fail("6.1.2", path+"/product_id", "product ID %q is defined more than once", p.ProductID)
			}
		}
		if p.Helper != nil && p.Helper.PURL != "" {
			if u, err := packageurl.FromString(p.Helper.PURL); err != nil || u.Name == "" {
				c.fail("6.1.13", path+"/product_identification_helper/purl", "invalid purl %q", p.Helper.PURL)
			}
		}
	}
	var walk func([]csafInBranch, string, int)
	walk = func(bs []csafInBranch, path string, depth int) {
		if depth > limits.CSAFBranchDepth {
			return
		}
		for i, b := range bs {
			p := fmt.Sprintf("%s/branches/%d", path, i)
			if b.Category == "product_version" && versionRange(b.Name) {
				c.fail("6.1.31", p+"/name", "product_version %q is a version range", b.Name)
			}
			if b.Product != nil {
				define(*b.Product, p+"/product")
			}
			walk(b.Branches, p, depth+1)
		}
	}
	walk(pt.Branches, "/product_tree", 0)
	for i, p := range pt.FullProductNames {
		define(p, fmt.Sprintf("/product_tree/full_product_names/%d", i))
	}
	for i, r := range pt.Relationships {
		define(r.FullProductName, fmt.Sprintf("/product_tree/relationships/%d/full_product_name", i))
	}
	for i, g := range pt.ProductGroups {
		c.groups[g.GroupID]++
		if c.groups[g.GroupID] == 2 {
			c.fail("6.1.5", fmt.Sprintf("/product_tree/product_groups/%d/group_id", i), "group ID %q is defined more than once", g.GroupID)
		}
	}
}

// versionRange is 6.1.31's test of a product_version name: a comparison
// operator anywhere, or one of the range words as a word of its own (the
// TC's test documents pass "after-eight").
func versionRange(name string) bool {
	n := strings.ToLower(name)
	if strings.ContainsAny(n, "<>") {
		return true
	}
	for _, w := range strings.Fields(n) {
		switch w {
		case "after", "all", "before", "earlier", "later", "prior", "versions":
			return true
		}
	}
	return false
}

func (c *checker) vulns() []csafInVuln {
	if c.d.Vulnerabilities == nil {
		return nil
	}
	return *c.d.Vulnerabilities
}

// references: every product and group ID used is defined (6.1.1, 6.1.4).
func (c *checker) references() {
	use := func(id, path string) {
		if c.defined[id] == 0 {
			c.fail("6.1.1", path, "product ID %q is not defined in the product tree", id)
		}
	}
	useGroups := func(ids []string, path string) {
		for j, g := range ids {
			if c.groups[g] == 0 {
				c.fail("6.1.4", fmt.Sprintf("%s/group_ids/%d", path, j), "group ID %q is not defined in the product tree", g)
			}
		}
	}
	if pt := c.d.ProductTree; pt != nil {
		for i, g := range pt.ProductGroups {
			for j, id := range g.ProductIDs {
				use(id, fmt.Sprintf("/product_tree/product_groups/%d/product_ids/%d", i, j))
			}
		}
		for i, r := range pt.Relationships {
			use(r.ProductReference, fmt.Sprintf("/product_tree/relationships/%d/product_reference", i))
			use(r.RelatesToProductReference, fmt.Sprintf("/product_tree/relationships/%d/relates_to_product_reference", i))
		}
	}
	for i, v := range c.vulns() {
		p := fmt.Sprintf("/vulnerabilities/%d", i)
		if v.ProductStatus != nil {
			for _, k := range sortedKeys(*v.ProductStatus) {
				for j, id := range (*v.ProductStatus)[k] {
					use(id, fmt.Sprintf("%s/product_status/%s/%d", p, k, j))
				}
			}
		}
		for _, list := range []struct {
			name string
			refs []csafInRef
		}{{"flags", v.Flags}, {"remediations", v.Remediations}, {"threats", v.Threats}} {
			for k, r := range list.refs {
				for j, id := range r.ProductIDs {
					use(id, fmt.Sprintf("%s/%s/%d/product_ids/%d", p, list.name, k, j))
				}
				useGroups(r.GroupIDs, fmt.Sprintf("%s/%s/%d", p, list.name, k))
			}
		}
		for k, s := range v.Scores {
			for j, id := range s.Products {
				use(id, fmt.Sprintf("%s/scores/%d/products/%d", p, k, j))
			}
		}
	}
}

// circular: a relationship's product may not depend on itself (6.1.3):
// its product ID may not lie on a cycle of the graph from each
// relationship's product to its two references. Tarjan's strongly
// connected components, iteratively: linear in the relationships, however
// many or deep.
func (c *checker) circular() {
	pt := c.d.ProductTree
	if pt == nil {
		return
	}
	deps := map[string][]string{}
	for _, r := range pt.Relationships {
		id := r.FullProductName.ProductID
		deps[id] = append(deps[id], r.ProductReference, r.RelatesToProductReference)
	}
	index, low, onStack := map[string]int{}, map[string]int{}, map[string]bool{}
	var stack []string
	cyclic := map[string]bool{}
	type frame struct {
		node string
		next int
	}
	n := 0
	for _, root := range sortedKeys(deps) {
		if _, seen := index[root]; seen {
			continue
		}
		work := []frame{{node: root}}
		index[root], low[root] = n, n
		n++
		stack = append(stack, root)
		onStack[root] = true
		for len(work) > 0 {
			f := &work[len(work)-1]
			if f.next < len(deps[f.node]) {
				w := deps[f.node][f.next]
				f.next++
				if w == f.node {
					cyclic[w] = true
				}
				if _, seen := index[w]; !seen {
					index[w], low[w] = n, n
					n++
					stack = append(stack, w)
					onStack[w] = true
					work = append(work, frame{node: w})
				} else if onStack[w] && index[w] < low[f.node] {
					low[f.node] = index[w]
				}
				continue
			}
			v := f.node
			work = work[:len(work)-1]
			if len(work) > 0 {
				if u := work[len(work)-1].node; low[v] < low[u] {
					low[u] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []string
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				if len(comp) > 1 {
					for _, w := range comp {
						cyclic[w] = true
					}
				}
			}
		}
	}
	for i, r := range pt.Relationships {
		if id := r.FullProductName.ProductID; cyclic[id] {
			c.fail("6.1.3", fmt.Sprintf("/product_tree/relationships/%d/full_product_name/product_id", i), "product ID %q is defined through itself", id)
		}
	}
}

// productStatus: no product in two contradicting groups (6.1.6).
func (c *checker) productStatus() {
	groupOf := map[string]string{
		"first_affected": "affected", "known_affected": "affected", "last_affected": "affected",
		"known_not_affected": "not affected", "first_fixed": "fixed", "fixed": "fixed",
		"under_investigation": "under investigation",
	}
	for i, v := range c.vulns() {
		if v.ProductStatus == nil {
			continue
		}
		in := map[string]string{}
		for _, k := range sortedKeys(*v.ProductStatus) {
			g, ok := groupOf[k]
			if !ok {
				continue
			}
			for j, id := range (*v.ProductStatus)[k] {
				if prev, ok := in[id]; ok && prev != g {
					c.fail("6.1.6", fmt.Sprintf("/vulnerabilities/%d/product_status/%s/%d", i, k, j), "product ID %q is both %s and %s", id, prev, g)
				}
				in[id] = g
			}
		}
	}
}

// revisions: 6.1.18, 6.1.21 and 6.1.22 on the revision history.
func (c *checker) revisions() {
	t := c.d.Document.Tracking
	type rev struct {
		date  time.Time
		major int
		num   string
		ok    bool
	}
	var revs []rev
	seen := map[string]bool{}
	for i, r := range t.RevisionHistory {
		p := fmt.Sprintf("/document/tracking/revision_history/%d/number", i)
		major, err := strconv.Atoi(strings.SplitN(r.Number, ".", 2)[0])
		if (t.Status == "final" || t.Status == "interim") && err == nil && major == 0 {
			c.fail("6.1.18", p, "revision %q is a pre-release number in a %s document", r.Number, t.Status)
		}
		if seen[r.Number] {
			c.fail("6.1.22", p, "revision number %q is used more than once", r.Number)
		}
		seen[r.Number] = true
		d, derr := time.Parse(time.RFC3339, r.Date)
		revs = append(revs, rev{d, major, r.Number, err == nil && derr == nil})
	}
	for _, r := range revs {
		if !r.ok {
			return // the schema reports malformed numbers and dates
		}
	}
	sort.SliceStable(revs, func(i, j int) bool { return revs[i].date.Before(revs[j].date) })
	for i, r := range revs {
		switch {
		case i == 0 && r.major > 1:
			c.fail("6.1.21", "/document/tracking/revision_history", "the oldest revision is %q, not 0 or 1", r.num)
		case i > 0 && r.major > revs[i-1].major+1:
			c.fail("6.1.21", "/document/tracking/revision_history", "revision %d is missing before %q", revs[i-1].major+1, r.num)
		}
	}
}

// cves: a CVE names at most one vulnerability item (6.1.23).
func (c *checker) cves() {
	seen := map[string]bool{}
	for i, v := range c.vulns() {
		if v.CVE == "" {
			continue
		}
		if seen[v.CVE] {
			c.fail("6.1.23", fmt.Sprintf("/vulnerabilities/%d/cve", i), "%s is used by more than one vulnerability", v.CVE)
		}
		seen[v.CVE] = true
	}
}

// profile runs the profile tests of 6.1.27 for csaf_security_advisory and
// csaf_vex.
func (c *checker) profile() {
	cat := c.d.Document.Category
	advisory, vex := cat == "csaf_security_advisory", cat == "csaf_vex"
	if !advisory && !vex {
		return
	}
	if c.d.ProductTree == nil {
		c.fail("6.1.27.4", "/product_tree", "a %s document needs a product tree", cat)
	}
	if c.d.Vulnerabilities == nil {
		c.fail("6.1.27.11", "/vulnerabilities", "a %s document needs vulnerabilities", cat)
	}
	for i, v := range c.vulns() {
		p := fmt.Sprintf("/vulnerabilities/%d", i)
		if v.Notes == nil {
			c.fail("6.1.27.5", p+"/notes", "the vulnerability has no notes")
		}
		if advisory && v.ProductStatus == nil {
			c.fail("6.1.27.6", p+"/product_status", "the vulnerability has no product status")
		}
		if !vex {
			continue
		}
		ps := map[string][]string{}
		if v.ProductStatus != nil {
			ps = *v.ProductStatus
		}
		if ps["fixed"] == nil && ps["known_affected"] == nil && ps["known_not_affected"] == nil && ps["under_investigation"] == nil {
			c.fail("6.1.27.7", p+"/product_status", "none of fixed, known_affected, known_not_affected, under_investigation")
		}
		if v.CVE == "" && v.IDs == nil {
			c.fail("6.1.27.8", p, "neither cve nor ids")
		}
		impact := c.covered(v.Flags, "")
		for id := range c.covered(v.Threats, "impact") {
			impact[id] = true
		}
		for j, id := range ps["known_not_affected"] {
			if !impact[id] {
				c.fail("6.1.27.9", fmt.Sprintf("%s/product_status/known_not_affected/%d", p, j), "no impact statement for %q", id)
			}
		}
		action := c.covered(v.Remediations, "")
		for j, id := range ps["known_affected"] {
			if !action[id] {
				c.fail("6.1.27.10", fmt.Sprintf("%s/product_status/known_affected/%d", p, j), "no action statement for %q", id)
			}
		}
	}
}

// covered returns the products the items name directly or through their
// groups; category "" takes every item.
func (c *checker) covered(items []csafInRef, category string) map[string]bool {
	out := map[string]bool{}
	for _, it := range items {
		if category != "" && it.Category != category {
			continue
		}
		for _, id := range it.ProductIDs {
			out[id] = true
		}
		for _, g := range it.GroupIDs {
			for _, id := range c.groupMembers(g) {
				out[id] = true
			}
		}
	}
	return out
}

func (c *checker) groupMembers(g string) []string {
	if c.members == nil {
		c.members = map[string][]string{}
		if c.d.ProductTree != nil {
			for _, pg := range c.d.ProductTree.ProductGroups {
				c.members[pg.GroupID] = append(c.members[pg.GroupID], pg.ProductIDs...)
			}
		}
	}
	return c.members[g]
}

// productRefs: remediations and flags name their products (6.1.29, 6.1.32).
func (c *checker) productRefs() {
	for i, v := range c.vulns() {
		for j, r := range v.Remediations {
			if r.ProductIDs == nil && r.GroupIDs == nil {
				c.fail("6.1.29", fmt.Sprintf("/vulnerabilities/%d/remediations/%d", i, j), "the remediation names no product or group")
			}
		}
		for j, f := range v.Flags {
			if f.ProductIDs == nil && f.GroupIDs == nil {
				c.fail("6.1.32", fmt.Sprintf("/vulnerabilities/%d/flags/%d", i, j), "the flag names no product or group")
			}
		}
	}
}

// flagsPerProduct: one VEX justification flag per product (6.1.33).
func (c *checker) flagsPerProduct() {
	for i, v := range c.vulns() {
		count := map[string]int{}
		for j, f := range v.Flags {
			if !csafJustifications[f.Label] {
				continue
			}
			ids := map[string]bool{}
			for id := range c.covered([]csafInRef{f}, "") {
				ids[id] = true
			}
			for _, id := range sortedSet(ids) {
				count[id]++
				if count[id] == 2 {
					c.fail("6.1.33", fmt.Sprintf("/vulnerabilities/%d/flags/%d", i, j), "product %q has more than one VEX justification flag", id)
				}
			}
		}
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
