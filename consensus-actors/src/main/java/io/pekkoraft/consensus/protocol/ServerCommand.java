package io.pekkoraft.consensus.protocol;

/**
 * Everything a Raft server actor receives: RPCs from its peers, requests from clients, and its own
 * timers and internal notifications.
 */
public interface ServerCommand {}
