package config

import (
	"errors"
	"strings"
	"testing"
)

// minimal is a valid cluster in 6 lines; error rows append to it, so their
// first line is line 7.
const minimal = `[ndbd default]
NoOfReplicas=1
DataDir=/d
[ndb_mgmd]
DataDir=/d
[ndbd]
`

// TestParseErrors has one row per error message: the file (minimal plus
// the row's lines unless the row stands alone) and the complete errors
// Parse must return, in order.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alone bool // the text is the whole file
		text  string
		want  []string
	}{
		// Lines and sections.
		{"not a line", false, "DataMemory 5G",
			[]string{`config.ini:7: [ndbd]: expected [section], name=value or a comment, found "DataMemory 5G"`}},
		{"no name", false, "=5",
			[]string{`config.ini:7: [ndbd]: missing parameter name before '='`}},
		{"outside a section", true, "DataMemory=1G\n" + minimal,
			[]string{`config.ini:1: DataMemory=1G: parameter outside a section: put it under a [section] header`}},
		{"header without ]", false, "[ndbd\nHostName=h",
			[]string{`config.ini:7: section header [ndbd has no closing ]`}},
		{"unknown section", false, "[foo]\nBar=1",
			[]string{`config.ini:7: unknown section [foo] (want ndbd, ndb_mgmd, mysqld, api or tcp, optionally followed by "default")`}},
		{"unknown default section", false, "[ndbd defaults]",
			[]string{`config.ini:7: unknown section [ndbd defaults] (want ndbd, ndb_mgmd, mysqld, api or tcp, optionally followed by "default")`}},
		{"empty section name", false, "[ ]",
			[]string{`config.ini:7: empty section name`}},
		{"unsupported section", false, "[shm]\nNodeId1=1",
			[]string{`config.ini:7: [shm] is not supported: gondb connects nodes over TCP only`}},
		{"second default section", false, "[ndbd default]\nDataMemory=1G",
			[]string{`config.ini:7: [ndbd default]: second [ndbd default] section (the first is at line 1); merge them`}},
		{"control character", false, "HostName=a\x01b",
			[]string{`config.ini:7: [ndbd]: control character '\x01' in line`}},
		{"line too long", false, "DataDir=/" + strings.Repeat("x", maxLine),
			[]string{`config.ini:7: line longer than 65536 bytes`}},

		// Parameters.
		{"unknown parameter", false, "DataMemroy=1G",
			[]string{`config.ini:7: [ndbd] DataMemroy=1G: unknown parameter`}},
		{"parameter of another section", false, "PortNumber=1186",
			[]string{`config.ini:7: [ndbd] PortNumber=1186: not a parameter of [ndbd] (it belongs in [ndb_mgmd] or [tcp])`}},
		{"no value", false, "DataMemory=",
			[]string{`config.ini:7: [ndbd] DataMemory: no value`}},
		{"set twice", false, "DataMemory=1G\ndatamemory: 2G",
			[]string{`config.ini:8: [ndbd] DataMemory=2G: set twice in this section (first at line 7)`}},
		{"alias set twice", false, "NodeId=3\nId=4",
			[]string{`config.ini:8: [ndbd] NodeId=4: set twice in this section (first at line 7)`}},
		{"per-node parameter in default", true, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\nNodeId=3\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n",
			[]string{`config.ini:4: [ndbd default] NodeId=3: may be set only in a node's own [ndbd] section, not in [ndbd default]`}},
		{"cluster parameter in a node section", false, "NoOfReplicas=2",
			[]string{`config.ini:7: [ndbd] NoOfReplicas=2: applies to the whole cluster: set it in [ndbd default]`}},

		// Values.
		{"not a size", false, "DataMemory=5X",
			[]string{`config.ini:7: [ndbd] DataMemory=5X: not a size (expected a number with optional K, M or G)`}},
		{"negative size", false, "DataMemory=-1",
			[]string{`config.ini:7: [ndbd] DataMemory=-1: not a size (expected a number with optional K, M or G)`}},
		{"not a number", false, "MaxNoOfConcurrentOperations=lots",
			[]string{`config.ini:7: [ndbd] MaxNoOfConcurrentOperations=lots: not a number (expected a whole number with optional K, M or G)`}},
		{"fraction", false, "MaxNoOfExecutionThreads=2.5",
			[]string{`config.ini:7: [ndbd] MaxNoOfExecutionThreads=2.5: not a number (expected a whole number with optional K, M or G)`}},
		{"not a duration", false, "TransactionDeadlockDetectionTimeout=2s",
			[]string{`config.ini:7: [ndbd] TransactionDeadlockDetectionTimeout=2s: not a duration (expected a whole number of milliseconds)`}},
		{"size out of range", false, "DataMemory=512K",
			[]string{`config.ini:7: [ndbd] DataMemory=512K: out of range (allowed 1M..16384G)`}},
		{"integer out of range", true, "[ndbd default]\nNoOfReplicas=5\nDataDir=/d\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n",
			[]string{`config.ini:2: [ndbd default] NoOfReplicas=5: out of range (allowed 1..4)`}},
		{"duration out of range", true, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\nTimeBetweenGlobalCheckPoints=40000\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n",
			[]string{`config.ini:4: [ndbd default] TimeBetweenGlobalCheckPoints=40000: out of range (allowed 20..32000 ms)`}},
		{"too big for 64 bits", false, "DataMemory=99999999999999999999",
			[]string{`config.ini:7: [ndbd] DataMemory=99999999999999999999: out of range (allowed 1M..16384G)`}},
		{"suffix overflows", false, "DataMemory=99999999999G",
			[]string{`config.ini:7: [ndbd] DataMemory=99999999999G: out of range (allowed 1M..16384G)`}},
		{"node id out of range", false, "NodeId=145",
			[]string{`config.ini:7: [ndbd] NodeId=145: out of range (allowed 1..144)`}},
		{"node id zero", false, "[api]\nNodeId=0",
			[]string{`config.ini:8: [api] NodeId=0: out of range (allowed 1..255)`}},
		{"port out of range", false, "[ndb_mgmd]\nDataDir=/d\nPortNumber=70000",
			[]string{`config.ini:9: [ndb_mgmd] PortNumber=70000: out of range (allowed 1..65535)`}},
		{"not a boolean", false, "CompressedLCP=maybe",
			[]string{`config.ini:7: [ndbd] CompressedLCP=maybe: not a boolean (expected true, false, yes, no, y, n, 1 or 0)`}},
		{"not an enum value", true, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\nArbitration=Sometimes\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n",
			[]string{`config.ini:4: [ndbd default] Arbitration=Sometimes: not one of Default, Disabled, WaitExternal`}},
		{"not a host", false, "HostName=a host",
			[]string{`config.ini:7: [ndbd] HostName=a host: not a host name or IP address`}},
		{"bad ThreadConfig kind", false, "ThreadConfig=ldm={count=2},gpu={count=1}",
			[]string{`config.ini:7: [ndbd] ThreadConfig=ldm={count=2},gpu={count=1}: invalid ThreadConfig: unknown thread kind "gpu" (want one of ldm, query, tc, recv, send, main, rep, io, watchdog)`}},
		{"bad ThreadConfig shape", false, "ThreadConfig=ldm=2",
			[]string{`config.ini:7: [ndbd] ThreadConfig=ldm=2: invalid ThreadConfig: expected '{' after ldm=`}},
		{"ThreadConfig without }", false, "ThreadConfig=ldm={count=2",
			[]string{`config.ini:7: [ndbd] ThreadConfig=ldm={count=2: invalid ThreadConfig: missing '}' after ldm={`}},
		{"ThreadConfig duplicate kind", false, "ThreadConfig=ldm={},ldm={}",
			[]string{`config.ini:7: [ndbd] ThreadConfig=ldm={},ldm={}: invalid ThreadConfig: duplicate thread kind "ldm"`}},
		{"ThreadConfig junk", false, "ThreadConfig=ldm={count=2}x",
			[]string{`config.ini:7: [ndbd] ThreadConfig=ldm={count=2}x: invalid ThreadConfig: expected ',' or the end after ldm={...}`}},
		{"ThreadConfig bad character", false, "ThreadConfig=ldm={count=2;}",
			[]string{`config.ini:7: [ndbd] ThreadConfig=ldm={count=2;}: invalid ThreadConfig: unexpected ';' in ldm={...}`}},
		{"ThreadConfig no kind", false, "ThreadConfig=,",
			[]string{`config.ini:7: [ndbd] ThreadConfig=,: invalid ThreadConfig: expected kind={...} at ","`}},

		// Nodes.
		{"DataDir missing", true, "[ndbd default]\nNoOfReplicas=1\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n",
			[]string{`config.ini:5: [ndbd] DataDir: required (set it here or in [ndbd default])`}},
		{"mgm DataDir missing", true, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\n[mgm]\n[ndbd]\n",
			[]string{`config.ini:4: [mgm] DataDir: required (set it here or in [ndb_mgmd default])`}},
		{"no management node", true, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\n[ndbd]\n",
			[]string{`config.ini: no [ndb_mgmd] section: a cluster needs at least one management node`}},
		{"no data node", true, "[ndb_mgmd]\nDataDir=/d\n",
			[]string{`config.ini: no [ndbd] section: a cluster needs at least one data node`}},
		{"duplicate node id", false, "NodeId=1\n[api]\nId=1",
			[]string{`config.ini:9: [api] NodeId=1: node id 1 is already used by the [ndbd] at line 6`}},
		{"no free data node id", true, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\n[ndb_mgmd]\nDataDir=/d\n" + strings.Repeat("[ndbd]\n", MaxDataNodeID+1),
			[]string{`config.ini:150: [ndbd]: no free node id left for this node (ids 1..144 are all in use)`}},
		{"no free node id", false, strings.Repeat("[api]\n", MaxNodeID-1),
			[]string{`config.ini:260: [api]: no free node id left for this node (ids 1..255 are all in use)`}},
		{"data nodes not a multiple of replicas", true, "[ndbd default]\nDataDir=/d\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n[ndbd]\n[ndbd]\n",
			[]string{`config.ini:1: [ndbd default] NoOfReplicas=2: 3 data nodes cannot form node groups of 2: the number of data nodes must be a multiple of NoOfReplicas`}},
		{"node group does not exist", true, "[ndbd default]\nDataDir=/d\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\nNodeGroup=1\n[ndbd]\n",
			[]string{`config.ini:6: [ndbd] NodeGroup=1: node group 1 does not exist: 2 data nodes with NoOfReplicas=2 form node groups 0..0`}},
		{"node group overfull", true, "[ndbd default]\nDataDir=/d\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\nNodeGroup=0\n[ndbd]\nNodeGroup=0\n[ndbd]\nNodeGroup=0\n[ndbd]\n",
			[]string{`config.ini:10: [ndbd] NodeGroup=0: node group 0 has 3 data nodes (1, 2, 3); every node group needs NoOfReplicas=2`}},
		{"port used twice", false, "ServerPort=1186",
			[]string{`config.ini:7: [ndbd] ServerPort=1186: port 1186 on localhost is already used by the [ndb_mgmd] at line 4`}},
		{"epoch longer than GCP", true, "[ndbd default]\nNoOfReplicas=1\nDataDir=/d\nTimeBetweenEpochs=3000\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n",
			[]string{`config.ini:4: [ndbd default] TimeBetweenEpochs=3000: longer than TimeBetweenGlobalCheckPoints=2000: an epoch cannot outlast a global checkpoint`}},

		// TLS.
		{"RequireTls without files", false, "RequireTls=yes\nCertFile=/c",
			[]string{
				`config.ini:7: [ndbd] RequireTls=yes: needs CertFile, KeyFile and CAFile (missing: KeyFile, CAFile)`,
				`config.ini:8: [ndbd] CertFile=/c: given without KeyFile: the two go together`,
			}},
		{"inherited TLS error reported once", true, "[ndbd default]\nDataDir=/d\nRequireTls=1\nCAFile=/ca\n[ndb_mgmd]\nDataDir=/d\n[ndbd]\n[ndbd]\n",
			[]string{`config.ini:3: [ndbd default] RequireTls=1: needs CertFile, KeyFile and CAFile (missing: CertFile, KeyFile)`}},
		{"RequireCertificate without files", false, "RequireCertificate=1",
			[]string{`config.ini:7: [ndbd] RequireCertificate=1: needs CertFile and KeyFile (missing: CertFile, KeyFile)`}},
		{"KeyFile alone", false, "[api]\nKeyFile=/k",
			[]string{`config.ini:8: [api] KeyFile=/k: given without CertFile: the two go together`}},

		// [tcp].
		{"tcp without node ids", false, "[tcp]\nSendBufferMemory=4M",
			[]string{
				`config.ini:7: [tcp] NodeId1: required`,
				`config.ini:7: [tcp] NodeId2: required`,
			}},
		{"tcp unknown node", false, "[tcp]\nNodeId1=1\nNodeId2=9",
			[]string{`config.ini:9: [tcp] NodeId2=9: node 9 is not defined in this configuration`}},
		{"tcp same node", false, "[tcp]\nNodeId1=1\nNodeId2=1",
			[]string{`config.ini:9: [tcp] NodeId2=1: NodeId1 and NodeId2 are the same node`}},
		{"tcp between API nodes", false, "[api]\n[api]\n[tcp]\nNodeId1=3\nNodeId2=4",
			[]string{`config.ini:11: [tcp] NodeId2=4: nodes 3 and 4 are both API nodes, which never connect to each other`}},
		{"tcp twice", false, "[tcp]\nNodeId1=1\nNodeId2=2\n[tcp]\nNodeId1=2\nNodeId2=1",
			[]string{`config.ini:10: [tcp]: a second [tcp] for nodes 1 and 2 (the first is the [tcp] at line 7)`}},
		{"tcp buffer out of range", false, "[tcp default]\nSendBufferMemory=1K",
			[]string{`config.ini:8: [tcp default] SendBufferMemory=1K: out of range (allowed 256K..4294967039)`}},
		{"tcp per-connection parameter in default", false, "[tcp default]\nNodeId1=1",
			[]string{`config.ini:8: [tcp default] NodeId1=1: may be set only in a node's own [tcp] section, not in [tcp default]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text
			if !tc.alone {
				text = minimal + tc.text + "\n"
			}
			c, _, err := Parse("config.ini", strings.NewReader(text))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a Config with an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrInvalid: %v", err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("no *Error in %v", err)
			}
		})
	}
}
