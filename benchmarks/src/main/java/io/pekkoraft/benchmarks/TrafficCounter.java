package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.transport.Transport;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Counts the replication traffic every member sends, through the transport plug-in point: AppendEntries
 * messages and the entries they carry, and heartbeats. It shows how well the leader batches: entries per
 * AppendEntries under each client count.
 */
final class TrafficCounter {

  /** What the members sent, all together. */
  record Counts(long appendEntries, long entries, long heartbeats) {

    Counts minus(Counts before) {
      return new Counts(appendEntries - before.appendEntries, entries - before.entries, heartbeats - before.heartbeats);
    }

    Map<String, Object> fields() {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("append_entries_sent", appendEntries);
      f.put("entries_sent", entries);
      f.put("entries_per_append_entries", appendEntries == 0 ? 0 : ThroughputPhase.round((double) entries / appendEntries, 2));
      f.put("heartbeats_sent", heartbeats);
      return f;
    }
  }

  private final LongAdder appendEntries = new LongAdder();
  private final LongAdder entries = new LongAdder();
  private final LongAdder heartbeats = new LongAdder();

  Counts counts() {
    return new Counts(appendEntries.sum(), entries.sum(), heartbeats.sum());
  }

  /** Wraps one member's transport; counts what it sends, whether or not it arrives. */
  Transport decorate(Transport inner) {
    return new Transport() {
      @Override
      public void bind(String selfId, ActorRef<ServerCommand> server, ActorContext<ServerCommand> context) {
        inner.bind(selfId, server, context);
      }

      @Override
      public boolean send(String to, ServerCommand message) {
        if (message instanceof RaftMessage.AppendEntries append) {
          appendEntries.increment();
          entries.add(append.entries().size());
        } else if (message instanceof RaftMessage.Heartbeat) {
          heartbeats.increment();
        }
        return inner.send(to, message);
      }
    };
  }
}
