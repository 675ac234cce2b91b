package io.pekkoraft.benchmarks;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.rpc.RpcContext;
import com.alipay.sofa.jraft.rpc.RpcProcessor;
import io.pekkoraft.benchmarks.SofaJRaftMessages.AddRequest;
import io.pekkoraft.benchmarks.SofaJRaftMessages.AddResponse;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * A member's handler of W1's command, registered on its RPC server as SOFAJRaft's counter example does: on
 * the leader it submits the payload as a task and answers once the entry is committed and applied (the
 * state machine runs the task's closure with the new value); elsewhere it answers with the leader's address.
 */
final class SofaJRaftAddProcessor implements RpcProcessor<AddRequest> {

  private final Supplier<Node> node;

  /** {@code node}: the member's node, known once its group service has started. */
  SofaJRaftAddProcessor(Supplier<Node> node) {
    this.node = node;
  }

  @Override
  public void handleRequest(RpcContext rpcCtx, AddRequest request) {
    Node n = node.get();
    if (n == null || !n.isLeader()) {
      PeerId leader = n == null ? null : n.getLeaderId();
      rpcCtx.sendResponse(AddResponse.failed("not leader",
          leader == null || leader.isEmpty() ? null : leader.getEndpoint().toString()));
      return;
    }
    Task task = new Task(ByteBuffer.wrap(request.payload), new SofaJRaftRegister.AddClosure() {
      @Override
      public void run(Status status) {
        rpcCtx.sendResponse(status.isOk() ? AddResponse.applied(value) : AddResponse.failed(status.toString(), null));
      }
    });
    n.apply(task);
  }

  @Override
  public String interest() {
    return AddRequest.class.getName();
  }
}
