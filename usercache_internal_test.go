package authing

import (
	"testing"
	"time"
)

func TestUserCache_Index(t *testing.T) {
	now := time.Unix(1767225600, 0)
	c := newUserCache(time.Minute, 4, func() time.Time { return now })
	c.put(User{ID: "1", Username: "ann"})
	// Renamed (same id, new name): the old name goes.
	c.put(User{ID: "1", Username: "anna"})
	if _, ok := c.get("ann"); ok {
		t.Error("the old name of a renamed user is still cached")
	}
	// The name taken by another user (deleted and re-created).
	c.put(User{ID: "2", Username: "anna"})
	if u, ok := c.get("anna"); !ok || u.ID != "2" {
		t.Errorf("get(anna) = %+v, %v; want id 2", u, ok)
	}
	c.forget("1") // id 1 no longer owns "anna"
	if _, ok := c.get("anna"); !ok {
		t.Error("forget of a stale id dropped another user's entry")
	}
	c.forget("2")
	if _, ok := c.get("anna"); ok || c.len() != 0 || len(c.byID) != 0 {
		t.Errorf("after forget: len %d, index %v", c.len(), c.byID)
	}
	// Bounded: never above max, expired entries go first.
	for i := range 10 {
		c.put(User{ID: string(rune('a' + i)), Username: string(rune('A' + i))})
		if c.len() > 4 || len(c.byID) > 4 {
			t.Fatalf("cache holds %d names, %d ids; max 4", c.len(), len(c.byID))
		}
	}
	now = now.Add(time.Minute)
	if _, ok := c.get("J"); ok {
		t.Error("an entry outlived its TTL")
	}
	if newUserCache(-1, 0, time.Now) != nil {
		t.Error("a negative TTL should turn the cache off")
	}
}
