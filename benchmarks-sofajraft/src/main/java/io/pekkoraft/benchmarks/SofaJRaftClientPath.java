package io.pekkoraft.benchmarks;

import com.alipay.sofa.jraft.RouteTable;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.error.RemotingException;
import com.alipay.sofa.jraft.option.CliOptions;
import com.alipay.sofa.jraft.rpc.impl.cli.CliClientServiceImpl;
import com.alipay.sofa.jraft.util.Endpoint;
import io.pekkoraft.benchmarks.SofaJRaftMessages.AddRequest;
import io.pekkoraft.benchmarks.SofaJRaftMessages.AddResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * W1's clients on SOFAJRaft, its normal client path as in its counter example: each client object is its
 * own {@link CliClientServiceImpl} (its own Bolt RPC client and connection over loopback TCP), which asks the
 * group's leader through {@link RouteTable} and then sends each command to the leader's RPC server, where
 * {@link SofaJRaftAddProcessor} answers once the entry is applied.
 */
final class SofaJRaftClientPath implements ClientPath {

  /** Each request's deadline: 5 s, as in SOFAJRaft's counter example client. */
  static final int REQUEST_TIMEOUT_MS = 5000;
  /** How long the client waits for the leader's address from the members ({@link RouteTable#refreshLeader}). */
  static final int REFRESH_LEADER_TIMEOUT_MS = 1000;

  private final String groupId;

  SofaJRaftClientPath(String groupId, Configuration conf) {
    this.groupId = groupId;
    if (!RouteTable.getInstance().updateConfiguration(groupId, conf)) {
      throw new IllegalStateException("RouteTable refused the configuration " + conf + " of group " + groupId);
    }
  }

  @Override
  public String description() {
    return "a CliClientServiceImpl per client (its own Bolt RpcClient and TCP connection over loopback), leader found"
        + " with RouteTable.refreshLeader, each command sent with RpcClient.invokeAsync to the leader's RPC server as"
        + " a Hessian-serialized request; the leader's processor applies it as a Task and answers after apply"
        + " (SOFAJRaft's counter example)";
  }

  @Override
  public Client newClient() {
    CliClientServiceImpl cli = new CliClientServiceImpl();
    if (!cli.init(new CliOptions())) throw new IllegalStateException("CliClientServiceImpl did not start");
    try {
      Status status = RouteTable.getInstance().refreshLeader(cli, groupId, REFRESH_LEADER_TIMEOUT_MS);
      if (!status.isOk()) throw new IllegalStateException("no leader of " + groupId + " found: " + status);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cli.shutdown();
      throw new IllegalStateException("interrupted while asking for the leader of " + groupId, e);
    } catch (TimeoutException e) {
      cli.shutdown();
      throw new IllegalStateException("no leader of " + groupId + " found in " + REFRESH_LEADER_TIMEOUT_MS + " ms", e);
    }
    PeerId leader = RouteTable.getInstance().selectLeader(groupId);
    return new JRaftClient(cli, leader.getEndpoint(), REQUEST_TIMEOUT_MS);
  }

  /** The member asked was not the leader (its answer names the leader, if it knows one): not applied. */
  static final class NotLeaderException extends Exception {
    NotLeaderException(String message) {
      super(message);
    }
  }

  /** One logical client: its own RPC client and the leader it sends to. */
  private static final class JRaftClient implements Client {

    private final CliClientServiceImpl cli;
    private final long timeoutMs;
    private volatile Endpoint leader;

    JRaftClient(CliClientServiceImpl cli, Endpoint leader, long timeoutMs) {
      this.cli = cli;
      this.leader = leader;
      this.timeoutMs = timeoutMs;
    }

    @Override
    public CompletionStage<Long> submit(Register.Add command) {
      CompletableFuture<Long> reply = new CompletableFuture<>();
      try {
        cli.getRpcClient().invokeAsync(leader, new AddRequest(command.payload()), (result, error) -> {
          if (error != null) {
            reply.completeExceptionally(error);
          } else if (result instanceof AddResponse response && response.success) {
            reply.complete(response.value);
          } else if (result instanceof AddResponse response) {
            if (response.redirect != null) {
              PeerId next = new PeerId();
              if (next.parse(response.redirect)) leader = next.getEndpoint();
            }
            reply.completeExceptionally(new NotLeaderException(response.error + " (leader: " + response.redirect + ")"));
          } else {
            reply.completeExceptionally(new IllegalStateException("unexpected answer " + result));
          }
        }, timeoutMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reply.completeExceptionally(e);
      } catch (RemotingException e) {
        reply.completeExceptionally(e);
      }
      return reply;
    }

    /** The same RPC client and leader with another deadline; closing either closes the RPC client. */
    @Override
    public Client withAskTimeout(Duration askTimeout) {
      return new JRaftClient(cli, leader, askTimeout.toMillis());
    }

    @Override
    public void close() {
      cli.shutdown();
    }
  }
}
