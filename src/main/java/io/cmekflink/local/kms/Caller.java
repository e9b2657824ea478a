package io.cmekflink.local.kms;

/** The account and region of an authenticated request, from its SigV4 credential. */
record Caller(String account, String region) {

    /** Returns the principal ARN that KMS names in access-denied messages. */
    String principalArn() {
        return "arn:aws:iam::" + account + ":root";
    }
}
