package tc

// epochCommits counts the transactions in their commit phase per epoch
// (GCI): the GCP's switch waits until the previous epoch has none. Only a
// few epochs have commits running at once (the current one, the one
// before a switch, a few more while a node failure holds commits), so a
// short list does better than a map, which every transaction would grow
// and shrink again.
type epochCommits []epochCount

type epochCount struct {
	gci uint64
	n   int
}

// add counts one more commit running in epoch gci.
func (e *epochCommits) add(gci uint64) {
	for i := range *e {
		if (*e)[i].gci == gci {
			(*e)[i].n++
			return
		}
	}
	*e = append(*e, epochCount{gci: gci, n: 1})
}

// done counts one commit of epoch gci finished.
func (e *epochCommits) done(gci uint64) {
	s := *e
	for i := range s {
		if s[i].gci != gci {
			continue
		}
		if s[i].n--; s[i].n <= 0 {
			s[i] = s[len(s)-1]
			*e = s[:len(s)-1]
		}
		return
	}
}

// running is how many commits of epoch gci are running.
func (e epochCommits) running(gci uint64) int {
	for _, c := range e {
		if c.gci == gci {
			return c.n
		}
	}
	return 0
}
