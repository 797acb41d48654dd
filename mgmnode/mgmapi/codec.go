package mgmapi

import (
	"encoding/json"
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// CodecName is the content-subtype on the wire:
// application/grpc+gondb-mgm-json.
const CodecName = "gondb-mgm-json"

// jsonCodec encodes every message as one JSON object. It is stateless,
// so safe for gRPC's concurrent use, and is forced on both sides of the
// service (never registered globally, so it cannot collide with another
// codec of the process).
type jsonCodec struct{}

var _ encoding.CodecV2 = jsonCodec{}

func (jsonCodec) Name() string { return CodecName }

func (jsonCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("mgmapi: encode %T: %w", v, err)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (jsonCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b := data.Materialize()
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("mgmapi: decode %T: %w", v, err)
	}
	return nil
}
