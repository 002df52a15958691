-- Invitation emails are stored lower-case. The unique key (tenant_id, email) is case-sensitive,
-- while the membership insert policy and the use-up trigger compare lower(email): without one
-- spelling per address, 'Dana@x' (owner) and 'dana@x' (member) could both be pending for one
-- person, and an accept with role 'owner' would pass. Inviting stays case-insensitive for callers:
-- the address is lower-cased on the way in.
CREATE FUNCTION "invitations_lower_case_email"() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.email := lower(NEW.email);
  RETURN NEW;
END
$$;
CREATE TRIGGER "invitations_lower_case_email" BEFORE INSERT OR UPDATE OF "email" ON "invitations"
  FOR EACH ROW EXECUTE FUNCTION "invitations_lower_case_email"();
