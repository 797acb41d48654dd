package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// FetchConfig returns the stored configuration.
func (s *Server) FetchConfig(ctx context.Context, _ *mgmapi.FetchConfigRequest) (*mgmapi.ConfigReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	c, err := s.st.Config(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	return &mgmapi.ConfigReply{Text: c.Text, Generation: c.Generation}, nil
}

// SetConfig validates and stores a new configuration generation. Every
// management server takes it from etcd and tells its subscribed nodes.
func (s *Server) SetConfig(ctx context.Context, req *mgmapi.SetConfigRequest) (*mgmapi.ConfigReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	cfg, _, err := config.ParseWith("new configuration", strings.NewReader(req.Text), s.cfg.ParseOptions)
	if err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "%v", err)
	}
	if _, ok := cfg.MgmNodeByID(int(s.cfg.NodeID)); !ok {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "the new configuration has no [ndb_mgmd] with node id %d, the management server storing it", s.cfg.NodeID)
	}
	c, err := s.st.PutConfig(ctx, req.Text, req.ExpectGeneration)
	if errors.Is(err, state.ErrConflict) {
		cur, _ := s.st.Config(ctx)
		return nil, mgmapi.Errorf(mgmapi.CodeConflict, "the stored configuration is generation %d, not %d", cur.Generation, req.ExpectGeneration)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	s.clog.add(mgmapi.SeverityInfo, "Configuration", 0, "Configuration generation %d stored by %s", c.Generation, peerHost(ctx))
	return &mgmapi.ConfigReply{Text: c.Text, Generation: c.Generation}, nil
}

// ClusterLog returns the last events of this server's cluster log.
func (s *Server) ClusterLog(_ context.Context, req *mgmapi.ClusterLogRequest) (*mgmapi.ClusterLogReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	return &mgmapi.ClusterLogReply{Events: s.clog.last(req.Max)}, nil
}

// Arbitrate decides for one side of a split cluster, through
// state.Store.Arbitrate: every management server of the cluster gives the
// same answer.
func (s *Server) Arbitrate(ctx context.Context, req *mgmapi.ArbitrateRequest) (*mgmapi.ArbitrateReply, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	ok, err := s.st.Arbitrate(ctx, state.ArbitrationRequest{Ticket: req.Ticket, Requester: req.Requester, SideNodes: req.SideNodes})
	if ok {
		s.clog.add(mgmapi.SeverityInfo, "Arbitration", req.Requester, "Node %d: arbitration won by node %d, side %v (ticket %d)",
			s.cfg.NodeID, req.Requester, req.SideNodes, req.Ticket)
		return &mgmapi.ArbitrateReply{Granted: true}, nil
	}
	if errors.Is(err, state.ErrArbitrationLost) {
		s.clog.add(mgmapi.SeverityWarning, "Arbitration", req.Requester, "Node %d: arbitration refused to node %d, side %v (ticket %d)",
			s.cfg.NodeID, req.Requester, req.SideNodes, req.Ticket)
		return &mgmapi.ArbitrateReply{Reason: err.Error()}, nil
	}
	if errors.Is(err, state.ErrInvalidArgument) {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "%v", err)
	}
	// The store could not decide: the side must take it as a refusal.
	return &mgmapi.ArbitrateReply{Reason: fmt.Sprintf("arbitrator unavailable: %v", err)}, nil
}

var _ mgmapi.Service = (*Server)(nil)
