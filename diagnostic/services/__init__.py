"""Operations on the database; no request objects in their signatures."""
