package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// ParseExposition reads a Prometheus text exposition into series → value,
// each series written as exposed: name{label="value",...}.
func ParseExposition(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("unreadable sample %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("unreadable sample %q", line)
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// Scrape reads the exposition at url (a /metrics).
func Scrape(ctx context.Context, url string) (map[string]float64, error) {
	body, err := Fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	return ParseExposition(bytes.NewReader(body))
}

// Fetch is what url answers with 200 OK.
func Fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// Family sums the series of metric name over their labels.
func Family(series map[string]float64, name string) float64 {
	sum := 0.0
	for _, v := range values(series, name) {
		sum += v
	}
	return sum
}

// FamilyMax is the largest value among the series of metric name.
func FamilyMax(series map[string]float64, name string) float64 {
	largest := 0.0
	for _, v := range values(series, name) {
		largest = max(largest, v)
	}
	return largest
}

func values(series map[string]float64, name string) []float64 {
	var out []float64
	for s, v := range series {
		if s == name || strings.HasPrefix(s, name+"{") {
			out = append(out, v)
		}
	}
	return out
}
