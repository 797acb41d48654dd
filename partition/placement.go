package partition

import "fmt"

// MaxReplicas is the largest NoOfReplicas, as in NDB.
const MaxReplicas = 4

// NodeID identifies a data node in the cluster; 0 is never a valid id.
type NodeID uint32

// NodeGroup is a set of NoOfReplicas data nodes that hold the same fragments:
// each fragment placed on the group has one replica on every node of it.
type NodeGroup struct {
	ID    uint32
	Nodes []NodeID
}

// FormNodeGroups splits data nodes into node groups the way NDB does: in the
// given order, each run of replicas consecutive nodes is one group, with group
// ids 0, 1, 2, ... So nodes [1 2 3 4] with 2 replicas give groups {1 2} and
// {3 4}; list the nodes so that each group spans failure domains.
func FormNodeGroups(nodes []NodeID, replicas int) ([]NodeGroup, error) {
	if replicas < 1 || replicas > MaxReplicas {
		return nil, fmt.Errorf("%w: %d replicas, want 1..%d", ErrReplicas, replicas, MaxReplicas)
	}
	if len(nodes) == 0 || len(nodes)%replicas != 0 {
		return nil, fmt.Errorf("%w: %d nodes is not a positive multiple of %d replicas", ErrNodes, len(nodes), replicas)
	}
	if err := checkNodeIDs(nodes); err != nil {
		return nil, err
	}
	all := append([]NodeID(nil), nodes...)
	groups := make([]NodeGroup, len(nodes)/replicas)
	for g := range groups {
		lo := g * replicas
		groups[g] = NodeGroup{ID: uint32(g), Nodes: all[lo : lo+replicas : lo+replicas]}
	}
	return groups, nil
}

func checkNodeIDs(nodes []NodeID) error {
	seen := make(map[NodeID]struct{}, len(nodes))
	for _, n := range nodes {
		if n == 0 {
			return fmt.Errorf("%w: node id 0", ErrNodes)
		}
		if _, dup := seen[n]; dup {
			return fmt.Errorf("%w: node %d listed twice", ErrNodes, n)
		}
		seen[n] = struct{}{}
	}
	return nil
}

// DefaultFragmentCount is the fragment count of a new table: one fragment per
// LDM thread per node group, so every LDM thread of every node holds a
// replica of one fragment of each table.
func DefaultFragmentCount(ldmThreads, nodeGroups int) int {
	return ldmThreads * nodeGroups
}

// FragmentReplicas says where the replicas of one fragment live.
type FragmentReplicas struct {
	Fragment  uint32
	NodeGroup uint32   // NodeGroup.ID of the group holding the fragment
	Nodes     []NodeID // one per node of the group; Nodes[0] is the primary
}

// Placement is a table's fragment -> replicas map, indexed by fragment id.
// Treat it as read-only: its slices are shared.
type Placement []FragmentReplicas

// Place puts fragments on node groups. Fragment f goes to group
// f % len(groups), as the f/len(groups)-th fragment k of that group. In the
// group, node k % replicas is primary, so each node of the group is primary for
// an equal share (counts differ by at most one, across the whole cluster too).
// The backups follow in group order after the primary, rotated by
// (k / replicas) % (replicas-1): when a primary fails, the first backups that
// take over its fragments are spread over the rest of the group.
//
// All groups must have the same size (1..MaxReplicas), node ids must be
// non-zero and unique, group ids unique.
func Place(groups []NodeGroup, fragments int) (Placement, error) {
	if err := checkGroups(groups); err != nil {
		return nil, err
	}
	if fragments < 1 || fragments > MaxFragments {
		return nil, fmt.Errorf("%w: %d fragments, want 1..%d", ErrFragments, fragments, MaxFragments)
	}
	replicas := len(groups[0].Nodes)
	all := make([]NodeID, fragments*replicas) // one allocation for every Nodes slice
	p := make(Placement, fragments)
	for f := range p {
		group := groups[f%len(groups)]
		k := f / len(groups)
		nodes := all[f*replicas : (f+1)*replicas : (f+1)*replicas]
		primary := k % replicas
		nodes[0] = group.Nodes[primary]
		if backups := replicas - 1; backups > 0 {
			shift := (k / replicas) % backups
			for i := range backups {
				// The others in group order after the primary, rotated by shift.
				nodes[1+i] = group.Nodes[(primary+1+(i+shift)%backups)%replicas]
			}
		}
		p[f] = FragmentReplicas{Fragment: uint32(f), NodeGroup: group.ID, Nodes: nodes}
	}
	return p, nil
}

func checkGroups(groups []NodeGroup) error {
	if len(groups) == 0 {
		return fmt.Errorf("%w: no node groups", ErrNodes)
	}
	replicas := len(groups[0].Nodes)
	if replicas < 1 || replicas > MaxReplicas {
		return fmt.Errorf("%w: node group %d has %d nodes, want 1..%d", ErrReplicas, groups[0].ID, replicas, MaxReplicas)
	}
	var nodes []NodeID
	ids := make(map[uint32]struct{}, len(groups))
	for _, g := range groups {
		if len(g.Nodes) != replicas {
			return fmt.Errorf("%w: node group %d has %d nodes, group %d has %d", ErrReplicas, g.ID, len(g.Nodes), groups[0].ID, replicas)
		}
		if _, dup := ids[g.ID]; dup {
			return fmt.Errorf("%w: node group id %d used twice", ErrNodes, g.ID)
		}
		ids[g.ID] = struct{}{}
		nodes = append(nodes, g.Nodes...)
	}
	return checkNodeIDs(nodes)
}

// Primary returns the node holding the primary replica of fragment frag.
func (p Placement) Primary(frag uint32) NodeID {
	return p.at(frag).Nodes[0]
}

// Replicas returns the nodes holding fragment frag, primary first. The slice
// is shared; do not modify it.
func (p Placement) Replicas(frag uint32) []NodeID {
	return p.at(frag).Nodes
}

// NodeGroupOf returns the id of the node group holding fragment frag.
func (p Placement) NodeGroupOf(frag uint32) uint32 {
	return p.at(frag).NodeGroup
}

// FragmentsOn returns, in ascending order, the fragments with a replica on
// node n.
func (p Placement) FragmentsOn(n NodeID) []uint32 {
	var out []uint32
	for _, fr := range p {
		for _, r := range fr.Nodes {
			if r == n {
				out = append(out, fr.Fragment)
				break
			}
		}
	}
	return out
}

func (p Placement) at(frag uint32) *FragmentReplicas {
	if uint64(frag) >= uint64(len(p)) {
		panic(fmt.Sprintf("partition: fragment %d of a placement with %d fragments", frag, len(p)))
	}
	return &p[frag]
}

// PrimaryCounts returns how many fragments each node is primary for. Nodes
// that are primary for none are absent.
func PrimaryCounts(p Placement) map[NodeID]int {
	counts := make(map[NodeID]int)
	for _, fr := range p {
		counts[fr.Nodes[0]]++
	}
	return counts
}
