package config

import "strings"

// suggest returns the known setting closest to an unknown name, or "" when none is close: a key
// or ignored key within a few edits (case and transpositions forgiven), or a prefixed name whose
// prefix is misspelt ("value.convertor.schemas.enable" -> "value.converter.schemas.enable").
func (s *Spec) suggest(name string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", maxDistance(name)+1
	consider := func(cand string) {
		if d := EditDistance(lower, cand); d < bestDist {
			best, bestDist = cand, d
		}
	}
	for i := range s.Keys {
		consider(s.Keys[i].Name)
	}
	for _, n := range s.Ignored {
		consider(n)
	}
	if best != "" {
		return best
	}
	// A misspelt prefix: compare each head of the name that ends in "." with the prefixes.
	for i := 0; i < len(lower)-1; i++ {
		if lower[i] != '.' {
			continue
		}
		for _, p := range s.Prefixes {
			if d := EditDistance(lower[:i+1], p); d <= 2 && d < bestDist {
				best, bestDist = p+lower[i+1:], d
			}
		}
	}
	return best
}

// maxDistance is how many edits a suggestion may be away from name: about one in four
// characters, at least one and at most three.
func maxDistance(name string) int {
	return min(max(len(name)/4, 1), 3)
}

// EditDistance is the optimal string alignment distance of a and b (Levenshtein distance with
// transpositions of adjacent characters counted as one edit), on bytes.
func EditDistance(a, b string) int {
	if a == b {
		return 0
	}
	// Three rows: two back (for transpositions), previous and current.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
