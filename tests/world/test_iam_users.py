"""IAM users and groups: the lab's starting account, CRUD, AWS's errors, Config facts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def iam(lab):
    return lab.client("iam")


@pytest.fixture
def facts(lab):
    seen: list[dict] = []
    lab.hub.subscribe("resource_changed", seen.append)
    return seen


def test_the_account_starts_with_the_learner(iam, lab):
    """The lab's default caller is an IAM user with AdministratorAccess and one access key."""
    users = iam.list_users()["Users"]
    assert [u["UserName"] for u in users] == ["learner"]
    assert users[0]["UserId"] == lab.default_principal.principal_id  # CloudTrail and IAM agree
    attached = iam.list_attached_user_policies(UserName="learner")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
    keys = iam.list_access_keys(UserName="learner")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [lab.default_principal.default_access_key_id]
    me = iam.get_user()["User"]
    assert me["UserName"] == "learner" and me["Arn"] == "arn:aws:iam::123456789012:user/learner"


def test_user_lifecycle_and_errors(iam):
    """CreateUser / GetUser / DeleteUser with NoSuchEntity (404) and EntityAlreadyExists (409);
    names are unique without regard to case.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html"""
    user = iam.create_user(UserName="alice", Path="/staff/", Tags=[{"Key": "team", "Value": "sec"}])["User"]
    assert user["Arn"] == "arn:aws:iam::123456789012:user/staff/alice" and user["UserId"].startswith("AIDA")
    assert len(user["UserId"]) == 21 and user["Tags"] == [{"Key": "team", "Value": "sec"}]
    with pytest.raises(ClientError) as dup:
        iam.create_user(UserName="ALICE")
    assert error_of(dup) == ("EntityAlreadyExists", "User with name ALICE already exists.", 409)
    assert iam.get_user(UserName="Alice")["User"]["UserName"] == "alice"
    with pytest.raises(ClientError) as missing:
        iam.get_user(UserName="bob")
    assert error_of(missing) == ("NoSuchEntity", "The user with name bob cannot be found.", 404)
    with pytest.raises(ClientError) as bad_name:
        iam.create_user(UserName="has space")
    assert error_of(bad_name)[0] == "ValidationError"
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/staff/")["Users"]] == ["alice"]
    iam.tag_user(UserName="alice", Tags=[{"Key": "env", "Value": "lab"}])
    iam.untag_user(UserName="alice", TagKeys=["team"])
    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "env", "Value": "lab"}]
    iam.delete_user(UserName="alice")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["learner"]


def test_delete_conflicts_name_what_must_go_first(iam, lab):
    """DeleteConflict (409) while a user still has a password, keys, policies or groups; nothing
    changes. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html"""
    iam.create_user(UserName="carol")
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="carol")
    iam.create_login_profile(UserName="carol", Password="Correct-Horse-1")
    key = iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    iam.attach_user_policy(UserName="carol", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    steps = [
        ("Cannot delete entity, must delete login profile first.", lambda: iam.delete_login_profile(UserName="carol")),
        ("Cannot delete entity, must delete access keys first.",
         lambda: iam.delete_access_key(UserName="carol", AccessKeyId=key)),
        ("Cannot delete entity, must detach all policies first.",
         lambda: iam.detach_user_policy(UserName="carol", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")),
        ("Cannot delete entity, must remove users from group first.",
         lambda: iam.remove_user_from_group(GroupName="admins", UserName="carol")),
    ]
    for message, fix in steps:
        with pytest.raises(ClientError) as conflict:
            iam.delete_user(UserName="carol")
        assert error_of(conflict) == ("DeleteConflict", message, 409)
        assert iam.get_user(UserName="carol")
        fix()
    iam.delete_user(UserName="carol")
    with pytest.raises(ClientError) as group_has_policy:
        iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        iam.delete_group(GroupName="admins")
    assert error_of(group_has_policy)[0] == "DeleteConflict"


def test_groups_and_membership(iam):
    """Groups list their users; a user lists its groups.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetGroup.html"""
    iam.create_group(GroupName="ops", Path="/teams/")
    for name in ("u1", "u2", "u3"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="ops", UserName=name)
    iam.add_user_to_group(GroupName="ops", UserName="u1")  # adding twice is harmless
    group = iam.get_group(GroupName="ops", MaxItems=2)
    assert group["Group"]["Arn"] == "arn:aws:iam::123456789012:group/teams/ops"
    assert [u["UserName"] for u in group["Users"]] == ["u1", "u2"] and group["IsTruncated"]
    rest = iam.get_group(GroupName="ops", Marker=group["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == ["u3"] and not rest["IsTruncated"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="u2")["Groups"]] == ["ops"]
    with pytest.raises(ClientError) as missing:
        iam.get_group(GroupName="nope")
    assert error_of(missing) == ("NoSuchEntity", "The group with name nope cannot be found.", 404)
    with pytest.raises(ClientError) as dup:
        iam.create_group(GroupName="OPS")
    assert error_of(dup) == ("EntityAlreadyExists", "Group with name OPS already exists.", 409)


def test_config_facts_for_users_and_groups(iam, facts, lab):
    """AWS::IAM::User with its groups and policies (customer managed ones as relationships),
    resourceId the unique id, awsRegion "global".
    https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html#iam"""
    iam.create_user(UserName="dave")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="dave")
    arn = iam.create_policy(PolicyName="ReadLogs", PolicyDocument='{"Version": "2012-10-17", "Statement": '
                            '[{"Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}]}')["Policy"]["Arn"]
    iam.attach_user_policy(UserName="dave", PolicyArn=arn)
    iam.put_user_policy(UserName="dave", PolicyName="inline", PolicyDocument='{"Version": "2012-10-17", '
                        '"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}')
    user_facts = [f for f in facts if f["resource_type"] == "AWS::IAM::User"]
    assert [f["status"] for f in user_facts] == ["created", "updated", "updated", "updated"]
    last = user_facts[-1]
    assert last["resource_id"].startswith("AIDA") and last["resource_name"] == "dave"
    assert last["aws_region"] == "global" and last["region"] == "us-east-1"
    configuration = last["configuration"]
    assert configuration["groupList"] == ["devs"]
    assert configuration["attachedManagedPolicies"] == [{"policyName": "ReadLogs", "policyArn": arn}]
    assert configuration["userPolicyList"][0]["policyName"] == "inline"
    assert configuration["userPolicyList"][0]["policyDocument"].startswith("%7B")  # URL-encoded JSON
    (relationship,) = last["relationships"]
    assert relationship["relationshipName"] == "Is attached to CustomerManagedPolicy"
    assert relationship["resourceType"] == "AWS::IAM::Policy" and relationship["resourceName"] == "ReadLogs"
    assert relationship["resourceId"].startswith("ANPA")
    policy_facts = [f for f in facts if f["resource_type"] == "AWS::IAM::Policy"]
    assert policy_facts[-1]["configuration"]["attachmentCount"] == 1
    assert [f["resource_type"] for f in facts].count("AWS::IAM::Group") == 1


def test_tagging_users_and_roles_reaches_config(iam, facts):
    """TagUser/TagRole merge, UntagUser/UntagRole remove; each change is a resource change for Config."""
    trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ' \
            '"ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "web"}])
    iam.create_user(UserName="dana")
    del facts[:]
    iam.tag_role(RoleName="app", Tags=[{"Key": "env", "Value": "lab"}])
    iam.untag_role(RoleName="app", TagKeys=["team"])
    iam.tag_user(UserName="dana", Tags=[{"Key": "env", "Value": "lab"}])
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "env", "Value": "lab"}]
    assert iam.list_user_tags(UserName="dana")["Tags"] == [{"Key": "env", "Value": "lab"}]
    assert [(f["resource_type"], f["resource_name"], f["tags"]) for f in facts] == [
        ("AWS::IAM::Role", "app", {"team": "web", "env": "lab"}), ("AWS::IAM::Role", "app", {"env": "lab"}),
        ("AWS::IAM::User", "dana", {"env": "lab"})]
