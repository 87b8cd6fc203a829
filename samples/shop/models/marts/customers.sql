{{ config(materialized='table', tags=['core']) }}

with customer_orders as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as order_count,
        sum(amount) as lifetime_revenue
    from {{ ref('orders') }}
    where is_revenue
    group by customer_id

)

select
    c.customer_id,
    c.customer_name,
    c.email,
    c.country,
    c.signup_date,
    c.acquisition_channel,
    co.first_order_date,
    co.last_order_date,
    coalesce(co.order_count, 0) as order_count,
    cast(coalesce(co.lifetime_revenue, 0) as decimal(12, 2)) as lifetime_revenue
from {{ ref('stg_customers') }} as c
left join customer_orders as co on co.customer_id = c.customer_id
