package io.pekkoraft.etcd;

import io.grpc.Status;
import io.pekkoraft.etcd.api.*;
import io.pekkoraft.etcd.kv.EtcdException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * etcd's {@code etcdserverpb.Auth}: {@code Authenticate} against the users of {@code pekko-raft.etcd.auth}
 * ({@link EtcdAuth}); the token it answers is checked in front of every etcd service ({@link EtcdAuth#gate}).
 * Users, roles and permissions cannot be managed through the API, and auth is switched on and off in
 * configuration: those calls answer {@code UNIMPLEMENTED} with the reason.
 */
final class AuthService implements Auth {

  private static final String NO_RBAC = "etcdserver: role-based permissions are not supported; users come from"
      + " configuration (pekko-raft.etcd.auth.users) and every authenticated user may make every call";

  private final EtcdAuth auth;
  private final EtcdMembers members;

  AuthService(EtcdAuth auth, EtcdMembers members) {
    this.auth = auth;
    this.members = members;
  }

  @Override
  public CompletionStage<AuthenticateResponse> authenticate(AuthenticateRequest in) {
    try {
      String token = auth.authenticate(in.getName(), in.getPassword());
      return CompletableFuture.completedFuture(AuthenticateResponse.newBuilder().setHeader(members.header(0))
          .setToken(token).build());
    } catch (EtcdException e) {
      return CompletableFuture.failedFuture(KvService.status(e.error()));
    }
  }

  @Override
  public CompletionStage<AuthEnableResponse> authEnable(AuthEnableRequest in) {
    return unimplemented("etcdserver: authentication is switched on and off by pekko-raft.etcd.auth.enabled"
        + " on each member, not through the API");
  }

  @Override
  public CompletionStage<AuthDisableResponse> authDisable(AuthDisableRequest in) {
    return unimplemented("etcdserver: authentication is switched on and off by pekko-raft.etcd.auth.enabled"
        + " on each member, not through the API");
  }

  @Override
  public CompletionStage<AuthUserAddResponse> userAdd(AuthUserAddRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthUserGetResponse> userGet(AuthUserGetRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthUserListResponse> userList(AuthUserListRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthUserDeleteResponse> userDelete(AuthUserDeleteRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthUserChangePasswordResponse> userChangePassword(AuthUserChangePasswordRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthUserGrantRoleResponse> userGrantRole(AuthUserGrantRoleRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthUserRevokeRoleResponse> userRevokeRole(AuthUserRevokeRoleRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthRoleAddResponse> roleAdd(AuthRoleAddRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthRoleGetResponse> roleGet(AuthRoleGetRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthRoleListResponse> roleList(AuthRoleListRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthRoleDeleteResponse> roleDelete(AuthRoleDeleteRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthRoleGrantPermissionResponse> roleGrantPermission(AuthRoleGrantPermissionRequest in) {
    return unimplemented(NO_RBAC);
  }

  @Override
  public CompletionStage<AuthRoleRevokePermissionResponse> roleRevokePermission(AuthRoleRevokePermissionRequest in) {
    return unimplemented(NO_RBAC);
  }

  private static <T> CompletionStage<T> unimplemented(String why) {
    return CompletableFuture.failedFuture(new GrpcServiceException(Status.UNIMPLEMENTED.withDescription(why)));
  }
}
