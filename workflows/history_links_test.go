package workflows

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Every committed history recorded since change trusted-actions (or
// lean-engine, which includes it) holds no
// bearer link (a client's /c/… or a customer's /pay/… URL) in any payload:
// whoever reads an order's history in the Web UI must not be able to act as
// its client or pay page (docs/security.md). Older histories did, which is
// what shows the check can fail.
func TestHistoriesSinceTrustedActionsHoldNoBearerLink(t *testing.T) {
	bearer := regexp.MustCompile(`/(?:c|pay)/[A-Za-z0-9._~-]{20,}`)
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	checked, before := 0, 0
	for _, f := range files {
		h := readProtoHistory(t, f)
		text := payloadText(h)
		links := bearer.FindAllString(text, -1)
		// Orders since lean-engine include trusted-actions without its marker.
		if !strings.Contains(text, ChangeTrustedActions) && !strings.Contains(text, ChangeLeanEngine) {
			if len(links) > 0 {
				before++
			}
			continue
		}
		checked++
		if len(links) > 0 {
			t.Errorf("%s holds bearer links: %v", filepath.Base(f), links)
		}
	}
	if checked == 0 || before == 0 {
		t.Fatalf("%d histories since the change checked, %d before it with links: the check proves nothing", checked, before)
	}
}

// payloadText is every payload's data in h, as text.
func payloadText(h *historypb.History) string {
	var b strings.Builder
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if p, ok := m.Interface().(*common.Payload); ok {
			b.Write(p.GetData())
			b.WriteByte('\n')
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Kind() != protoreflect.MessageKind:
			case fd.IsList():
				for i := range v.List().Len() {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap():
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					if fd.MapValue().Kind() == protoreflect.MessageKind {
						walk(mv.Message())
					}
					return true
				})
			default:
				walk(v.Message())
			}
			return true
		})
	}
	walk(proto.Message(h).ProtoReflect())
	return b.String()
}
