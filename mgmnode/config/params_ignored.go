package config

// ignoredGroups lists NDB parameters gondb accepts so that an NDB config.ini
// loads unchanged, with the reason each group does not apply. Their values
// are not checked; each use gives a warning.
var ignoredGroups = []struct {
	sections Section
	reason   string
	names    []string
}{
	{
		SectionNDBD,
		"gondb sizes its schema objects and records dynamically",
		[]string{
			"MaxNoOfTables", "MaxNoOfAttributes", "MaxNoOfOrderedIndexes", "MaxNoOfUniqueHashIndexes",
			"MaxNoOfTriggers", "MaxNoOfFiredTriggers", "MaxNoOfConcurrentTransactions", "MaxNoOfConcurrentScans",
			"MaxNoOfLocalScans", "MaxNoOfLocalOperations", "MaxNoOfConcurrentIndexOperations",
			"MaxNoOfConcurrentSubOperations", "MaxNoOfSubscriptions", "MaxNoOfSubscribers", "StringMemory",
			"BatchSizePerLocalScan", "MaxParallelScansPerFragment",
		},
	},
	{
		SectionNDBD,
		"gondb keeps no separate pool for it (memory comes from DataMemory or the Go runtime)",
		[]string{
			"SharedGlobalMemory", "TransactionMemory", "LongMessageBuffer", "DiskPageBufferMemory",
			"TotalSendBufferMemory", "ExtraSendBufferMemory", "BackupDataBufferSize", "BackupLogBufferSize",
			"BackupMemory", "BackupWriteSize", "BackupMaxWriteSize", "UndoDataBuffer", "UndoIndexBuffer",
			"AutomaticMemoryConfig", "TotalMemoryConfig",
		},
	},
	{
		SectionNDBD,
		"the operating system and the Go runtime handle it",
		[]string{
			"LockPagesInMainMemory", "ODirect", "ODirectSyncFlag", "RealtimeScheduler", "SchedulerSpinTimer",
			"SchedulerExecutionTimer", "SchedulerResponsiveness", "LockExecuteThreadToCPU", "LockMaintThreadsToCPU",
			"Numa", "AutomaticThreadConfig", "NumCPUs", "SpinMethod", "HeartbeatThreadPriority", "MemReportFrequency",
		},
	},
	{
		SectionNDBD,
		"gondb sizes its redo log, checkpoints and disk writes itself",
		[]string{
			"InitFragmentLogFiles", "MaxNoOfOpenFiles", "InitialNoOfOpenFiles",
			"DiskCheckpointSpeed", "MaxDiskWriteSpeedOtherNodeRestart",
			"MaxDiskWriteSpeedOwnRestart", "EnablePartialLcp", "RecoveryWork", "InsertRecoveryWork",
			"EnableRedoControl", "FileSystemPath", "BackupDataDir", "InitialLogFileGroup", "InitialTablespace",
			"DiskIOThreadPool", "NoOfDiskPagesToDiskAfterRestartTUP", "NoOfDiskPagesToDiskAfterRestartACC",
		},
	},
	{
		SectionNDBD,
		"start and failure handling follow StartPartialTimeout and the management node",
		[]string{
			"StopOnError", "MaxStartFailRetries", "StartFailRetryDelay", "StartPartitionedTimeout",
			"StartFailureTimeout", "StartNoNodeGroupTimeout", "MaxNoOfSavedMessages", "RestartOnErrorInsert",
			"ConnectCheckIntervalDelay", "TimeBetweenWatchDogCheck", "TimeBetweenWatchDogCheckInitial",
			"TimeBetweenInactiveTransactionAbortCheck",
		},
	},
	{
		SectionNDBD | SectionMgmd | sectionAPIs,
		"the management node is always the arbitrator",
		[]string{"ArbitrationRank", "ArbitrationDelay"},
	},
	{
		SectionNDBD | SectionMgmd | sectionAPIs,
		"every node logs to standard error",
		[]string{"LogDestination"},
	},
	{
		SectionNDBD | SectionMgmd | sectionAPIs,
		"there are no [computer] sections: HostName names the host",
		[]string{"ExecuteOnComputer"},
	},
	{
		sectionAPIs,
		"gondb's API sizes its batches itself",
		[]string{
			"BatchByteSize", "BatchSize", "MaxScanBatchSize", "AutoReconnect", "DefaultOperationRedoProblemAction",
			"DefaultHashMapSize", "ConnectBackoffMaxTime", "StartConnectBackoffMaxTime", "TotalSendBufferMemory",
		},
	},
	{
		SectionTCP,
		"gondb's transporter tunes its sockets itself",
		[]string{
			"Checksum", "PreSendChecksum", "SendSignalId", "OverloadLimit", "TCP_SND_BUF_SIZE", "TCP_RCV_BUF_SIZE",
			"TCP_MAXSEG_SIZE", "TcpBind_INADDR_ANY", "HostName1", "HostName2", "Group", "PortNumber",
		},
	},
}

// ignoredParams turns ignoredGroups into table entries.
func ignoredParams() []Param {
	var out []Param
	for _, g := range ignoredGroups {
		for _, n := range g.names {
			out = append(out, Param{
				Name: n, Sections: g.sections, Type: TypeAny, Status: Ignored,
				Desc: g.reason,
			})
		}
	}
	return out
}
