-- Joining a tenant (README, "Global users and memberships"): the tenant invites an email, and the
-- user with that email, acting as itself (app.user_id), inserts its own membership with the
-- invitation's role while the invitation is pending; that uses the invitation up. Nothing else the
-- runtime role can insert or update in memberships, and nothing it is refused tells it whether a
-- user id exists: the WITH CHECK fails before the foreign key to users is checked.
begin;
select plan(17);

insert into tenants (id, name, slug) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'Tenant A', 'tenant-a'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'Tenant B', 'tenant-b');
insert into users (id, email, name) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'a@example.test', 'User A'),
  ('bbbbbbbb-0000-4000-8000-0000000000b1', 'b@example.test', 'User B'),
  ('dddddddd-0000-4000-8000-0000000000d1', 'dana@example.test', 'Dana');
insert into memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'owner'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-0000000000b1', 'owner');

set local role tenantry_app;
select set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', true);

-- Adding a user by id: refused, identically for an existing and a nonexistent user.
select throws_ok($$insert into memberships (user_id) values ('bbbbbbbb-0000-4000-8000-0000000000b1')$$,
  '42501', 'new row violates row-level security policy for table "memberships"', 'tenant cannot add another tenant''s user by id');
select throws_ok($$insert into memberships (user_id) values ('eeeeeeee-0000-4000-8000-0000000000e1')$$,
  '42501', 'new row violates row-level security policy for table "memberships"', 'tenant adding a nonexistent user id gets the same error (no foreign key answer)');
select is_empty($$select id from users where id = 'bbbbbbbb-0000-4000-8000-0000000000b1'$$, 'tenant still cannot see the other tenant''s user');

-- Repointing a membership: refused, identically, before anything runs (only role is updatable).
select throws_ok($$update memberships set user_id = 'bbbbbbbb-0000-4000-8000-0000000000b1'$$,
  '42501', 'permission denied for table memberships', 'tenant cannot point its membership at another user');
select throws_ok($$update memberships set user_id = 'eeeeeeee-0000-4000-8000-0000000000e1'$$,
  '42501', 'permission denied for table memberships', 'tenant pointing its membership at a nonexistent user gets the same error');
select results_eq($q$with u as (update memberships set role = 'owner' returning 1) select count(*)::int from u$q$,
  $q$values (1)$q$, 'tenant updates the role of its memberships');

-- The invitation: created by the tenant for an address; says nothing about users.
select lives_ok($$insert into invitations (id, email, role) values ('aaaaaaaa-0000-4000-8000-0000000001a1', 'Dana@Example.test', 'admin')$$,
  'tenant invites an email address');
select lives_ok($$insert into invitations (id, email) values ('aaaaaaaa-0000-4000-8000-0000000001a2', 'nobody@example.test')$$,
  'tenant invites an address no user has, alike');
select throws_ok($$insert into memberships (user_id, role) values ('dddddddd-0000-4000-8000-0000000000d1', 'admin')$$,
  '42501', null, 'tenant cannot accept the invitation for the user');

-- The user accepts, acting as itself.
select set_config('app.user_id', 'dddddddd-0000-4000-8000-0000000000d1', true);
select throws_ok($$insert into memberships (user_id, role) values ('dddddddd-0000-4000-8000-0000000000d1', 'owner')$$,
  '42501', null, 'the invited user cannot take a higher role than the invitation''s');
select throws_ok($$insert into memberships (user_id, role) values ('aaaaaaaa-0000-4000-8000-0000000000a1', 'admin')$$,
  '42501', null, 'the acting user cannot accept for someone else');
select lives_ok($$insert into memberships (user_id, role) values ('dddddddd-0000-4000-8000-0000000000d1', 'admin')$$,
  'the invited user joins with the invitation''s role');
select is_empty($$select id from invitations where id = 'aaaaaaaa-0000-4000-8000-0000000001a1'$$, 'accepting uses the invitation up');
select set_config('app.user_id', '', true);
select results_eq($$select email from users where id = 'dddddddd-0000-4000-8000-0000000000d1'$$, $$values ('dana@example.test')$$,
  'the tenant now sees its new member');

-- Another tenant: the invitation of A admits nobody to B.
select set_config('app.tenant_id', 'bbbbbbbb-0000-4000-8000-000000000002', true);
select is_empty($$select id from users where id = 'dddddddd-0000-4000-8000-0000000000d1'$$, 'another tenant does not see the new member');
select set_config('app.user_id', 'dddddddd-0000-4000-8000-0000000000d1', true);
select throws_ok($$insert into memberships (user_id, role) values ('dddddddd-0000-4000-8000-0000000000d1', 'admin')$$,
  '42501', null, 'an invitation of one tenant does not admit the user to another');
select is_empty($$select id from invitations$$, 'tenant B sees none of tenant A''s invitations');

reset role;
select * from finish();
rollback;
