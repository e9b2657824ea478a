package io.cmekflink.local.kms;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The key policy of one emulated key, reduced to what the job's tests need: which accounts may
 * perform which actions.
 *
 * <p>Evaluation follows IAM: an explicit deny wins over any allow, and an action that no statement
 * allows is denied. The default policy allows the owner account every action. Other accounts get
 * only what {@link #allow} grants, and only actions that KMS lets other accounts perform ({@link
 * KmsAction#crossAccount()}). Principals are whole accounts: the emulator does not model IAM users,
 * roles or identity policies. All methods are thread-safe, and a change applies to the next
 * request.
 */
public final class KeyPolicy {

    /** The outcome of evaluating the policy for one request. */
    enum Decision {
        ALLOW,
        IMPLICIT_DENY,
        EXPLICIT_DENY
    }

    private record DenyStatement(
            String account, Set<KmsAction> actions, String contextKey, String contextValue) {

        boolean matches(String caller, KmsAction action, Map<String, String> context) {
            if (!account.equals(caller) || !actions.contains(action)) {
                return false;
            }
            return contextKey == null || !contextValue.equals(context.get(contextKey));
        }
    }

    private final String ownerAccount;
    private boolean ownerAllowed = true;
    private final Map<String, Set<KmsAction>> allowedActions = new HashMap<>();
    private final List<DenyStatement> denyStatements = new ArrayList<>();

    KeyPolicy(String ownerAccount) {
        this.ownerAccount = ownerAccount;
    }

    /**
     * Allows the account the given actions, or every action when none are given. For the owner
     * account, restores the default statement, which allows every action.
     */
    public synchronized KeyPolicy allow(String account, KmsAction... actions) {
        if (account.equals(ownerAccount)) {
            ownerAllowed = true;
            return this;
        }
        allowedActions
                .computeIfAbsent(account, a -> EnumSet.noneOf(KmsAction.class))
                .addAll(actionSet(actions));
        return this;
    }

    /** Denies the account the given actions, or every action when none are given. */
    public synchronized KeyPolicy deny(String account, KmsAction... actions) {
        denyStatements.add(new DenyStatement(account, actionSet(actions), null, null));
        return this;
    }

    /**
     * Denies the account the given actions (every action when none are given) unless the request's
     * encryption context maps {@code contextKey} to {@code expectedValue}, like a deny statement
     * with the condition {@code StringNotEquals kms:EncryptionContext:<contextKey>}. For {@code
     * ReEncrypt}, {@code kms:ReEncryptFrom} is checked against the source context and {@code
     * kms:ReEncryptTo} against the destination context.
     */
    public synchronized KeyPolicy denyUnlessEncryptionContext(
            String account, String contextKey, String expectedValue, KmsAction... actions) {
        Objects.requireNonNull(contextKey, "contextKey");
        Objects.requireNonNull(expectedValue, "expectedValue");
        denyStatements.add(
                new DenyStatement(account, actionSet(actions), contextKey, expectedValue));
        return this;
    }

    /** Removes the default statement, so the owner account keeps only what it is allowed again. */
    public synchronized KeyPolicy removeOwnerAccess() {
        ownerAllowed = false;
        return this;
    }

    /** Restores the default policy: the owner account may do everything, no one else anything. */
    public synchronized KeyPolicy reset() {
        ownerAllowed = true;
        allowedActions.clear();
        denyStatements.clear();
        return this;
    }

    synchronized Decision evaluate(String account, KmsAction action, Map<String, String> context) {
        for (DenyStatement statement : denyStatements) {
            if (statement.matches(account, action, context)) {
                return Decision.EXPLICIT_DENY;
            }
        }
        if (account.equals(ownerAccount)) {
            return ownerAllowed ? Decision.ALLOW : Decision.IMPLICIT_DENY;
        }
        Set<KmsAction> allowed = allowedActions.getOrDefault(account, Set.of());
        return action.crossAccount() && allowed.contains(action)
                ? Decision.ALLOW
                : Decision.IMPLICIT_DENY;
    }

    /** Returns the default key policy document that KMS attaches, for {@code ReplicateKey}. */
    static String defaultPolicyDocument(String account) {
        return "{\"Version\":\"2012-10-17\",\"Id\":\"key-default-1\",\"Statement\":[{\"Sid\":"
                + "\"Enable IAM User Permissions\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                + "\"arn:aws:iam::"
                + account
                + ":root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";
    }

    private static Set<KmsAction> actionSet(KmsAction... actions) {
        if (actions.length == 0) {
            return EnumSet.allOf(KmsAction.class);
        }
        return EnumSet.copyOf(List.of(actions));
    }
}
