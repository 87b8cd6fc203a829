select
    customer_id,
    first_name,
    last_name,
    first_name || ' ' || last_name as customer_name,
    lower(email) as email,
    country,
    cast(signup_date as date) as signup_date,
    acquisition_channel
from {{ ref('raw_customers') }}
