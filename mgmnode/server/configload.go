package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/state"
)

// Loaded is a configuration as stored, with its parsed form.
type Loaded struct {
	Text       string
	Generation uint64
	Config     *config.Config
	// Revision is the etcd revision it was read or written at.
	Revision int64
}

// InstallResult says what InstallConfig did.
type InstallResult uint8

const (
	// Stored: no configuration was stored; the file's is now generation 1.
	Stored InstallResult = 1
	// Replaced: --initial stored the file as a new generation.
	Replaced InstallResult = 2
	// Kept: the stored configuration is used (equal to the file, or no
	// file given).
	Kept InstallResult = 3
	// KeptDiffers: the stored configuration is used although the file
	// differs from it; start with --initial to load the file.
	KeptDiffers InstallResult = 4
)

func (r InstallResult) String() string {
	switch r {
	case Stored:
		return "stored"
	case Replaced:
		return "replaced"
	case Kept:
		return "kept"
	case KeptDiffers:
		return "kept (file differs)"
	}
	return fmt.Sprintf("InstallResult(%d)", uint8(r))
}

// InstallConfig decides which configuration the cluster runs with, as
// ndb_mgmd does with its configuration cache:
//
//   - nothing stored yet: the file (text, named name) is validated and
//     stored as generation 1;
//   - initial (--initial): the file replaces the stored configuration as
//     the next generation (unless equal), compare-and-swap on the
//     generation so two servers starting at once cannot both win;
//   - otherwise the stored configuration is used, and a file that differs
//     from it is reported (KeptDiffers) but not loaded.
//
// text == "" means no file was given: a configuration must be stored.
// The returned configuration always parses with opt.
func InstallConfig(ctx context.Context, st *state.Store, name, text string, initial bool, opt config.Options) (Loaded, InstallResult, error) {
	var fileCfg *config.Config
	if text != "" {
		c, _, err := config.ParseWith(name, strings.NewReader(text), opt)
		if err != nil {
			return Loaded{}, 0, err
		}
		fileCfg = c
	}
	for {
		cur, err := st.Config(ctx)
		if err != nil {
			return Loaded{}, 0, fmt.Errorf("read the stored configuration: %w", err)
		}
		switch {
		case cur.Generation == 0 && fileCfg == nil:
			return Loaded{}, 0, errors.New("no configuration is stored in etcd yet: give the config.ini with -f")
		case cur.Generation == 0 || (initial && fileCfg != nil && cur.Text != text):
			put, err := st.PutConfig(ctx, text, cur.Generation)
			if errors.Is(err, state.ErrConflict) {
				continue // another server stored one meanwhile: decide again
			}
			if err != nil {
				return Loaded{}, 0, fmt.Errorf("store the configuration: %w", err)
			}
			res := Stored
			if cur.Generation != 0 {
				res = Replaced
			}
			return Loaded{Text: text, Generation: put.Generation, Config: fileCfg, Revision: put.Revision}, res, nil
		}
		c, _, err := config.ParseWith(fmt.Sprintf("stored configuration generation %d", cur.Generation), strings.NewReader(cur.Text), opt)
		if err != nil {
			return Loaded{}, 0, fmt.Errorf("%w (start with --initial -f config.ini to replace it)", err)
		}
		res := Kept
		if fileCfg != nil && cur.Text != text {
			res = KeptDiffers
		}
		return Loaded{Text: cur.Text, Generation: cur.Generation, Config: c, Revision: cur.Revision}, res, nil
	}
}
